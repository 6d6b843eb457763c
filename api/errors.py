"""The expected errors of the service, one family with stable codes.

Services raise these; the GraphQL layer shows their message and code under
`extensions.code`. Any other exception is unexpected: it is logged with the
request id and answered as INTERNAL_SERVER_ERROR without details.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    # Request-level codes, for what never reached a resolver.
    BAD_REQUEST = "BAD_REQUEST"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    # Apollo's code for an automatic persisted query the server does not hold yet.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class EspaceError(Exception):
    """An error the caller is meant to see."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR
    default_message = "Internal server error."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extensions = extensions


class Unauthenticated(EspaceError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "A valid bearer token is required."


class Forbidden(EspaceError):
    code = ErrorCode.FORBIDDEN
    default_message = "You may not do this."


class NotFound(EspaceError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class BadUserInput(EspaceError):
    code = ErrorCode.BAD_USER_INPUT
    default_message = "Invalid input."


class QueryTooComplex(EspaceError):
    code = ErrorCode.QUERY_TOO_COMPLEX
    default_message = "The query is too complex."


class RateLimited(EspaceError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Too many requests; retry later."


class Conflict(EspaceError):
    code = ErrorCode.CONFLICT
    default_message = "The request conflicts with another one in progress."
