"""The request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from api.db import Database
from api.errors import Unauthenticated
from api.graphql.loaders import Loaders
from api.identity.principal import Principal
from api.settings import Settings


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    database: Database
    loaders: Loaders
    request_id: str
    principal: Principal | None = None
    # Set by the error extension when the operation was refused before any
    # resolver ran (syntax, validation, limits): the view answers 400 then.
    rejected_before_execution: bool = False

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal


Info = StrawberryInfo[Context, None]
