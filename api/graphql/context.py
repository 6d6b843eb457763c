"""The request context handed to every resolver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.access.service import Access
from api.contents.service import Contents
from api.db import Database
from api.dossier.links import ContentLinks
from api.errors import Unauthenticated
from api.graphql.loaders import Loaders
from api.identity.principal import Principal
from api.messaging.bus import MessageBus
from api.ratelimits import RateLimits
from api.settings import Settings


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    database: Database
    loaders: Loaders
    contents: Contents
    content_links: ContentLinks
    request_id: str
    bus: MessageBus | None = None
    # On a WebSocket: checks the connection's token again (expiry, revocation) at each delivery.
    reauthenticate: Callable[[], Awaitable[Principal]] | None = None
    access: Access | None = None
    # A WebSocket's connection_init payload (graphql-transport-ws): where its token comes.
    connection_params: dict[str, object] | None = None
    # Set by the error extension when the operation was refused before any
    # resolver ran (syntax, validation, limits): the view answers 400 then.
    rejected_before_execution: bool = False
    # Query costs and request counts are charged here (None: not limited, e.g. in a test).
    rate_limits: RateLimits | None = None
    # What the operation costs (api.graphql.cost), set once it has been validated.
    query_cost: int = 0
    # The name of the operation run, as its document says (for the metrics).
    operation_name: str | None = None
    # Set when a limit refused the request: the view answers 429 with Retry-After.
    retry_after: int | None = None

    @property
    def client_ip(self) -> str:
        client = self.request.scope.get("client")
        return client[0] if client else "unknown"

    @property
    def principal(self) -> Principal | None:
        return self.access.principal if self.access else None

    def require_access(self) -> Access:
        """The request's access policy; UNAUTHENTICATED without a token."""
        if self.access is None:
            raise Unauthenticated()
        return self.access

    def require_principal(self) -> Principal:
        return self.require_access().principal


Info = StrawberryInfo[Context, None]
