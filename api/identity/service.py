"""Turning a bearer token into a Principal."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, exists

from api.db import Database
from api.directory import queries as directory
from api.directory.records import AccountRecord
from api.errors import Unauthenticated
from api.identity.models import RevokedToken
from api.identity.principal import Principal, PrincipalKind
from api.identity.tokens import AccessTokens
from api.oauth import queries as oauth_queries

# The client id of tokens minted by `espace token` and `espace demo`.
DEVELOPMENT_CLIENT_ID = "espace-dev-cli"
# Claim naming the one space a representative's or an app's token acts for.
ACTING_FOR_CLAIM = "acting_for"
# Claim naming the patient's consent behind an app's token.
GRANT_ID_CLAIM = "grant_id"
# Claim marking a token issued to professional software (client credentials).
SOFTWARE_CLAIM = "software"
# Namespace of the stable ids that stand for software clients in the journal.
SOFTWARE_NAMESPACE = uuid.UUID("6f2a1c3e-9b7d-4e55-8a41-2c0f5d6e7a90")


# The statements of every request, built once (assembling them cost more than
# running them): the account with the person behind it and the revocation check,
# plus, for an app's token, its grant and the app's status.
_PERSON_AUTHENTICATION = directory.account_by_id_query(bindparam("account_id")).add_columns(
    exists().where(RevokedToken.jti == bindparam("jti")).label("revoked")
)
_APP_AUTHENTICATION = _PERSON_AUTHENTICATION.add_columns(*oauth_queries.grant_columns(bindparam("grant_id")))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None when absent."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an `Authorization: Bearer <token>` header.")
    return token.strip()


async def authenticate(database: Database, tokens: AccessTokens, token: str) -> Principal:
    """The principal of a valid, unrevoked token; Unauthenticated for anything else.

    One statement: the account, the person behind it and the revocation check.
    """
    return await principal_from_claims(database, tokens.verify(token))


async def principal_from_claims(database: Database, claims: dict[str, Any]) -> Principal:
    """The principal of verified claims, checked against the database now: the
    account, revocation, the app's grant and status (also for signed links)."""
    if claims.get(SOFTWARE_CLAIM) is True:
        return await _software_principal(database, claims)
    try:
        account_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError, TypeError) as error:
        raise Unauthenticated("Invalid token: unknown subject.") from error
    grant_id = _grant_id(claims)
    parameters = {"account_id": account_id, "jti": str(claims["jti"]), "grant_id": grant_id}
    statement = _PERSON_AUTHENTICATION if grant_id is None else _APP_AUTHENTICATION
    async with database.read() as connection:
        row = (await connection.execute(statement, parameters)).first()
    if row is None:
        raise Unauthenticated("Invalid token: unknown subject.")
    if row.revoked:
        raise Unauthenticated("Invalid token: revoked.")
    account = directory.account_record(row)
    if grant_id is None:
        return principal_for(account, claims)
    return _app_principal(account, claims, row)


async def _software_principal(database: Database, claims: dict[str, Any]) -> Principal:
    """Professional software (client credentials): no person behind it, so no
    relation to any space; it may only do what its own rules allow (deposits)."""
    client_id = str(claims["client_id"])
    if claims.get("sub") != client_id:
        raise Unauthenticated("Invalid token: malformed software token.")
    async with database.read() as connection:
        row = (await connection.execute(oauth_queries.software_client_query(client_id))).first()
    if row is None:
        raise Unauthenticated("Invalid token: this software client is not registered.")
    scope = claims.get("scope", "")
    scopes = frozenset(scope.split() if isinstance(scope, str) else []) & frozenset(row.scopes)
    return Principal(
        kind=PrincipalKind.PROFESSIONAL,
        account_id=uuid.uuid5(SOFTWARE_NAMESPACE, client_id),
        display_name=row.name,
        client_id=client_id,
        scopes=scopes,
        token_id=str(claims["jti"]),
        organization_id=row.organization_id,
        organization_name=row.organization_name,
        feed=True,
    )


def claims_of(principal: Principal) -> dict[str, Any]:
    """The claims that rebuild this principal with `principal_from_claims` (for a
    signed link that must be re-checked when it is used)."""
    claims: dict[str, Any] = {
        "sub": principal.client_id if principal.feed else str(principal.account_id),
        "client_id": principal.client_id,
        "scope": " ".join(sorted(principal.scopes)),
        "jti": principal.token_id,
    }
    if principal.feed:
        claims[SOFTWARE_CLAIM] = True
    if principal.acting_for is not None and principal.acting_for != principal.patient_id:
        claims[ACTING_FOR_CLAIM] = str(principal.acting_for)
    if principal.grant_id is not None:
        claims[GRANT_ID_CLAIM] = str(principal.grant_id)
        claims[ACTING_FOR_CLAIM] = str(principal.acting_for)
    return claims


def _grant_id(claims: dict[str, Any]) -> uuid.UUID | None:
    value = claims.get(GRANT_ID_CLAIM)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise Unauthenticated("Invalid token: malformed grant.") from error


def _app_principal(account: AccountRecord, claims: dict[str, Any], row: Any) -> Principal:
    """A catalogue app's principal: the space of its grant, the scopes still
    granted and vetted, and the authorizing person's own relation to that space
    (an app never reads more than the person who authorized it)."""
    acting_for = _acting_for(claims)
    if (
        row.grant_patient_id is None
        or row.grant_patient_id != acting_for
        or row.grant_client_id != claims.get("client_id")
        or account.patient_id is None
    ):
        raise Unauthenticated("Invalid token: the app was disconnected.")
    if row.app_status != "REFERENCED":
        raise Unauthenticated("Invalid token: the app is not referenced.")
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise Unauthenticated("Invalid token: malformed scope.")
    scopes = (
        frozenset(scope.split()) & frozenset(row.grant_scopes or []) & frozenset(row.app_vetted_scopes or [])
    )
    return Principal(
        kind=PrincipalKind.APP,
        account_id=account.id,
        display_name=account.display_name,
        client_id=str(claims["client_id"]),
        scopes=scopes,
        token_id=str(claims["jti"]),
        patient_id=account.patient_id,
        acting_for=acting_for,
        app_name=row.app_name,
        grant_id=_grant_id(claims),
    )


def principal_for(account: AccountRecord, claims: dict[str, Any]) -> Principal:
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise Unauthenticated("Invalid token: malformed scope.")
    common: dict[str, Any] = {
        "account_id": account.id,
        "display_name": account.display_name,
        "client_id": str(claims["client_id"]),
        "scopes": frozenset(scope.split()),
        "token_id": str(claims["jti"]),
    }
    if account.patient_id is not None:
        acting_for = _acting_for(claims) or account.patient_id
        kind = PrincipalKind.PATIENT if acting_for == account.patient_id else PrincipalKind.REPRESENTATIVE
        return Principal(kind=kind, patient_id=account.patient_id, acting_for=acting_for, **common)
    if account.professional_id is not None:
        return Principal(
            kind=PrincipalKind.PROFESSIONAL,
            professional_id=account.professional_id,
            profession=account.profession,
            organization_id=account.organization_id,
            organization_name=account.organization_name,
            emergency_regulation=account.emergency_regulation,
            **common,
        )
    return Principal(kind=PrincipalKind.OPERATOR, operator_id=account.operator_id, **common)


def _acting_for(claims: dict[str, Any]) -> uuid.UUID | None:
    value = claims.get(ACTING_FOR_CLAIM)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise Unauthenticated("Invalid token: malformed acting_for.") from error
