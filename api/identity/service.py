"""Turning a bearer token into a Principal."""

from __future__ import annotations

import uuid
from typing import Any

from api.db import Database
from api.directory import queries as directory
from api.directory.records import AccountRecord
from api.errors import Unauthenticated
from api.identity.principal import Principal, PrincipalKind
from api.identity.tokens import AccessTokens

# The client id of tokens minted by `espace token` and `espace demo`.
DEVELOPMENT_CLIENT_ID = "espace-dev-cli"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None when absent."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an `Authorization: Bearer <token>` header.")
    return token.strip()


async def authenticate(database: Database, tokens: AccessTokens, token: str) -> Principal:
    """The principal of a valid token; Unauthenticated for anything else."""
    claims = tokens.verify(token)
    try:
        account_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError, TypeError) as error:
        raise Unauthenticated("Invalid token: unknown subject.") from error
    async with database.read() as connection:
        account = await directory.account_by_id(connection, account_id)
    if account is None:
        raise Unauthenticated("Invalid token: unknown subject.")
    return principal_for(account, claims)


def principal_for(account: AccountRecord, claims: dict[str, Any]) -> Principal:
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise Unauthenticated("Invalid token: malformed scope.")
    common = {
        "account_id": account.id,
        "display_name": account.display_name,
        "client_id": str(claims["client_id"]),
        "scopes": frozenset(scope.split()),
        "token_id": str(claims["jti"]),
    }
    if account.patient_id is not None:
        return Principal(
            kind=PrincipalKind.PATIENT,
            patient_id=account.patient_id,
            acting_for=account.patient_id,
            **common,
        )
    if account.professional_id is not None:
        return Principal(kind=PrincipalKind.PROFESSIONAL, professional_id=account.professional_id, **common)
    return Principal(kind=PrincipalKind.OPERATOR, operator_id=account.operator_id, **common)
