"""The HTTP and WebSocket endpoint of the schema.

strawberry's ASGI view, with our answers where the HTTP layer refuses a
request: every refusal is a GraphQL error body with a code, never a bare
text or a 500.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.access.service import Access
from api.contents.service import Contents
from api.db import Database, connection_lost
from api.dossier.links import ContentLinks
from api.errors import ErrorCode, Unauthenticated
from api.graphql.context import Context
from api.graphql.errors import UNAVAILABLE_MESSAGE, error_body
from api.graphql.loaders import Loaders
from api.graphql.persisted import PACKAGED_OPERATIONS, PersistedQueries, PersistedQueryError, load_registered
from api.identity.principal import Principal
from api.identity.service import authenticate, bearer_token
from api.identity.tokens import AccessTokens
from api.messaging.bus import MessageBus
from api.metrics import record_operation
from api.ratelimits import RateLimits, Refused
from api.settings import Settings

logger = logging.getLogger("api.graphql")


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        settings: Settings,
        database: Database,
        tokens: AccessTokens,
        contents: Contents,
        content_links: ContentLinks,
        bus: MessageBus,
        rate_limits: RateLimits,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            # Over GET, persisted queries only (parse_http_body), never mutations.
            allow_queries_via_get=True,
            # Uploads (GraphQL multipart request spec), only with a preflight header (CSRF).
            multipart_uploads_enabled=True,
            # Only graphql-transport-ws: the legacy graphql-ws protocol could skip connection_init.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.database = database
        self.tokens = tokens
        self.contents = contents
        self.content_links = content_links
        self.bus = bus
        self.rate_limits = rate_limits
        self.persisted = PersistedQueries(
            load_registered(settings.operations_dir or PACKAGED_OPERATIONS), settings.query_cache_size
        )
        self.registered_only = settings.registered_only_clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            refusal = _refuse_content_type(request)
            response = refusal or await self.run(request)
        except HTTPException as error:
            response = _error_response(error.status_code, error.reason, ErrorCode.BAD_REQUEST)
        except (TypeError, AttributeError, IndexError, KeyError, ValueError) as error:
            # Malformed bodies that strawberry's parsing does not turn into an HTTP error
            # (a JSON body that is not an object, a multipart map that is not one...).
            request_id = scope.get("state", {}).get("request_id")
            logger.info("malformed GraphQL request (request %s): %r", request_id, error)
            response = _error_response(400, "Malformed GraphQL request body.", ErrorCode.BAD_REQUEST)
        except Unauthenticated as error:
            response = _error_response(401, error.message, ErrorCode.UNAUTHENTICATED)
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        except Refused as refusal:
            response = _error_response(429, refusal.message, ErrorCode.RATE_LIMITED)
            response.headers["Retry-After"] = str(refusal.retry_after)
        except PersistedQueryError as error:
            response = _error_response(400, error.message, error.code)
        except Exception as error:
            # The database went away while authenticating (restart, failover): retryable.
            if not connection_lost(error):
                raise
            logger.warning(
                "database unreachable (request %s): %r", scope.get("state", {}).get("request_id"), error
            )
            response = _error_response(503, UNAVAILABLE_MESSAGE, ErrorCode.SERVICE_UNAVAILABLE)
            response.headers["Retry-After"] = "1"
        finally:
            await request.close()  # uploaded files, whether a resolver read them or not
        await response(scope, receive, send)

    def _access(self, principal: Principal) -> Access:
        return Access(
            principal,
            self.database,
            emergency_duration=self.settings.emergency_access_duration,
            caregiver_duration=self.settings.caregiver_delegation_duration,
        )

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        # A token that is present but not valid refuses the whole request (RFC 6750);
        # no token gives an anonymous context, refused field by field. A WebSocket
        # authenticates later, with the token of its connection_init (on_ws_connect).
        token = None if isinstance(request, WebSocket) else bearer_token(request.headers.get("authorization"))
        principal = await authenticate(self.database, self.tokens, token) if token else None
        if principal is not None:
            await self.rate_limits.request_by(principal)  # Refused: 429 (see __call__)
        access = self._access(principal) if principal else None
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            database=self.database,
            loaders=Loaders.create(self.database),
            contents=self.contents,
            content_links=self.content_links,
            request_id=request.scope.get("state", {}).get("request_id", ""),
            access=access,
            bus=self.bus,
            rate_limits=self.rate_limits,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """graphql-transport-ws: the token comes in connection_init's payload
        (`{"authorization": "Bearer …"}`); without a valid one, the socket closes (4403)."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw) if isinstance(raw, str) else None
        if not token:
            raise ConnectionRejectionError(
                {"code": ErrorCode.UNAUTHENTICATED.value, "message": "A token is required."}
            )
        try:
            principal = await authenticate(self.database, self.tokens, token)
            await self.rate_limits.request_by(principal)
        except Unauthenticated as error:
            raise ConnectionRejectionError(
                {"code": ErrorCode.UNAUTHENTICATED.value, "message": error.message}
            ) from error
        except Refused as refusal:
            raise ConnectionRejectionError(
                {"code": ErrorCode.RATE_LIMITED.value, "message": refusal.message}
            ) from refusal
        context.access = self._access(principal)

        async def reauthenticate() -> Principal:
            return await authenticate(self.database, self.tokens, token)

        context.reauthenticate = reauthenticate
        return None

    def _unregistered(self, context: Context, query: str | None) -> bool:
        """A client held to its registered operations asking for another one."""
        principal = context.principal
        return (
            principal is not None
            and principal.client_id in self.registered_only
            and not self.persisted.is_registered(query)
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET by hash alone carries no `query` either: it is an operation, not the IDE.
        return super().should_render_graphql_ide(request) and "extensions" not in request.query_params

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)  # a batch is refused in there
        return self.persisted.resolve(data, over_get=request.method == "GET")

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        context: Context = kwargs["context"]
        if self._unregistered(context, kwargs["request_data"].query):
            kwargs["sub_response"].status_code = 403
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "This client may run its registered operations only.",
                        extensions={"code": ErrorCode.FORBIDDEN.value},
                    )
                ],
            )
        started = time.perf_counter()
        result = await super().execute_single(*args, **kwargs)
        record_operation(
            context.operation_name or kwargs["request_data"].operation_name,
            _outcome(result),
            time.perf_counter() - started,
        )
        if context.retry_after is not None:
            kwargs["sub_response"].status_code = 429
            kwargs["sub_response"].headers["Retry-After"] = str(context.retry_after)
        elif context.rejected_before_execution:
            kwargs["sub_response"].status_code = 400
        if context.access is not None:
            try:
                await context.access.flush()
            except Exception:
                # Every read must be journaled: without the journal, no data.
                logger.exception(
                    "journal write failed (request %s); the answer is withheld", context.request_id
                )
                kwargs["sub_response"].status_code = 503
                return ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            "The access journal could not be written, so nothing is returned. A mutation "
                            "was applied all the same: read its result again rather than repeating it.",
                            extensions={
                                "code": ErrorCode.SERVICE_UNAVAILABLE.value,
                                "requestId": context.request_id,
                            },
                        )
                    ],
                )
        return result


def _outcome(result: Any) -> str:
    """ok, or the code of the first error (as the answer shows it)."""
    errors = getattr(result, "errors", None)
    if not errors:
        return "ok"
    extensions = getattr(errors[0], "extensions", None) or {}
    return str(extensions.get("code", "UNKNOWN"))


# Headers a browser cannot send cross-site without a CORS preflight.
PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight", "x-apollo-operation-name")


def _refuse_content_type(request: Request) -> Response | None:
    if request.method != "POST":
        return None
    content_type, _ = parse_content_type(request.headers.get("content-type", ""))
    if content_type == "multipart/form-data":
        if any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
            return None
        return _error_response(
            400,
            "Multipart uploads need a preflight header, e.g. GraphQL-Preflight: 1.",
            ErrorCode.BAD_REQUEST,
        )
    if content_type != "application/json":
        return _error_response(415, "Send the operation as application/json.", ErrorCode.BAD_REQUEST)
    return None


def _error_response(status: int, message: str, code: ErrorCode) -> JSONResponse:
    return JSONResponse(error_body(message, code), status_code=status)


__all__ = ["GraphQLView"]
