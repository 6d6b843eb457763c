"""How errors leave the API: every error carries `extensions.code`; expected
errors keep their message; anything unexpected is logged with the request id
and masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from api.db import connection_lost
from api.errors import ErrorCode, EspaceError

logger = logging.getLogger("api.graphql")

MASKED_MESSAGE = "Internal server error."
UNAVAILABLE_MESSAGE = "The database was briefly unreachable; retry the request."


def error_body(message: str, code: ErrorCode, **extensions: Any) -> dict[str, Any]:
    """A GraphQL response body holding one request-level error."""
    return {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}


class ErrorPresentation(SchemaExtension):
    """Codes every error of the result; masks and logs the unexpected ones."""

    def __init__(self) -> None:
        self._executing = False

    def on_execute(self) -> Iterator[None]:
        self._executing = True
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        # Refused as a whole (syntax, validation, limits, variables): a 4xx for the view.
        request_error = not self._executing or (
            result.data is None and all(error.path is None for error in result.errors)
        )
        if request_error and hasattr(context, "rejected_before_execution"):
            context.rejected_before_execution = True
        result.errors = [self._present(error, request_id) for error in result.errors]

    def _present(self, error: GraphQLError, request_id: str | None) -> GraphQLError:
        original = error.original_error
        if isinstance(original, EspaceError):
            return _with(error, original.message, original.code, original.extensions)
        if error.extensions and "code" in error.extensions:
            return error
        if original is not None and connection_lost(original):
            logger.warning("database unreachable (request %s): %r", request_id, original)
            return _with(error, UNAVAILABLE_MESSAGE, ErrorCode.SERVICE_UNAVAILABLE, {"requestId": request_id})
        code = self._code_of(error)
        if code is not None:
            return _with(error, error.message, code)
        logger.error(
            "unexpected error at %s (request %s)",
            ".".join(map(str, error.path or [])),
            request_id,
            exc_info=original,
        )
        return GraphQLError(
            MASKED_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
        )

    def _code_of(self, error: GraphQLError) -> ErrorCode | None:
        """The code of an error raised by graphql-core or strawberry; None if unexpected."""
        if not self._executing:
            if not isinstance(error, GraphQLSyntaxError):
                return ErrorCode.GRAPHQL_VALIDATION_FAILED
            if "tokens. Parsing aborted" in error.message:  # graphql-core's max_tokens refusal
                return ErrorCode.QUERY_TOO_COMPLEX
            return ErrorCode.GRAPHQL_PARSE_FAILED
        # Errors outside any field are request errors: variables that do not
        # coerce to their declared types.
        original = error.original_error
        if error.path is None or original is None or isinstance(original, GlobalIDValueError):
            return ErrorCode.BAD_USER_INPUT
        return None


def _with(
    error: GraphQLError, message: str, code: ErrorCode, extra: dict[str, Any] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(extra or {}), "code": code.value},
    )
