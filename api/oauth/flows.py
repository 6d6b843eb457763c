"""The grant flows, each an async function over the database: consent and
code, code exchange (PKCE S256), refresh with rotation, revocation.

RFC details come from authlib (PKCE verification, error types); tokens are
the service's own JWT access tokens (api.identity.tokens).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN, compare_s256_code_challenge
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import Database, new_id, utcnow
from api.identity.service import ACTING_FOR_CLAIM, GRANT_ID_CLAIM, SOFTWARE_CLAIM
from api.identity.tokens import AccessTokens
from api.oauth.clients import Client
from api.oauth.models import AuthorizationCode, Grant, RefreshToken
from api.oauth.secrets import digest, new_secret

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


async def consent(
    database: Database,
    *,
    client: Client,
    account_id: uuid.UUID,
    patient_id: uuid.UUID,
    scopes: list[str],
    redirect_uri: str,
    code_challenge: str,
) -> str:
    """Record the consent as a grant and return a single-use authorization code."""
    code = new_secret()
    async with database.session() as session:
        grant = Grant(
            patient_id=patient_id,
            id=new_id(),
            account_id=account_id,
            client_id=client.client_id,
            scopes=sorted(scopes),
            created_at=utcnow(),
        )
        session.add(grant)
        await session.flush()
        session.add(
            AuthorizationCode(
                code_hash=digest(code),
                grant_id=grant.id,
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
                expires_at=utcnow() + CODE_LIFETIME,
            )
        )
    return code


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    scope: str
    expires_in: int

    def as_response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
        }


async def exchange_code(
    database: Database,
    tokens: AccessTokens,
    *,
    client: Client,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedTokens:
    if not code:
        raise InvalidRequestError(description="Missing code.")
    if not code_verifier:
        raise InvalidRequestError(description="Missing code_verifier (PKCE is required).")
    if not CODE_VERIFIER_PATTERN.fullmatch(code_verifier):
        raise InvalidRequestError(description="Malformed code_verifier.")
    async with database.engine.begin() as connection:
        # Consume the code first: of two concurrent exchanges, one wins.
        consumed = await connection.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == digest(code),
                AuthorizationCode.used_at.is_(None),
                AuthorizationCode.client_id == client.client_id,
            )
            .values(used_at=utcnow())
            .returning(
                AuthorizationCode.grant_id,
                AuthorizationCode.redirect_uri,
                AuthorizationCode.code_challenge,
                AuthorizationCode.expires_at,
            )
        )
        row = consumed.first()
        if row is None:
            await _revoke_grant_of_replayed_code(connection, code)
            await _fail(connection, "Invalid, expired or already used code.")
        if row.expires_at <= utcnow():
            await _fail(connection, "Invalid, expired or already used code.", revoke=row.grant_id)
        if redirect_uri != row.redirect_uri:
            await _fail(
                connection, "redirect_uri does not match the authorization request.", revoke=row.grant_id
            )
        if not compare_s256_code_challenge(code_verifier, row.code_challenge):
            await _fail(
                connection, "The code_verifier does not match the code_challenge.", revoke=row.grant_id
            )
        grant = await _live_grant(connection, row.grant_id)
        return await _issue(connection, tokens, client, grant)


async def _fail(
    connection: AsyncConnection, description: str, *, revoke: uuid.UUID | None = None
) -> NoReturn:
    """Refuse, keeping what the attempt changed: a code tried once is spent and the
    consent it carried is void (`revoke`), a replay revokes its grant; nothing is issued."""
    if revoke is not None:
        await connection.execute(update(Grant).where(Grant.id == revoke).values(revoked_at=utcnow()))
    await connection.commit()
    raise InvalidGrantError(description=description)


async def _revoke_grant_of_replayed_code(connection: AsyncConnection, code: str) -> None:
    """A code presented twice: revoke what the first exchange issued (RFC 6749 §4.1.2)."""
    grant_id = await connection.scalar(
        select(AuthorizationCode.grant_id).where(
            AuthorizationCode.code_hash == digest(code), AuthorizationCode.used_at.is_not(None)
        )
    )
    if grant_id is not None:
        await connection.execute(update(Grant).where(Grant.id == grant_id).values(revoked_at=utcnow()))


async def _live_grant(connection: AsyncConnection, grant_id: uuid.UUID) -> Grant:
    row = (
        await connection.execute(
            select(Grant.id, Grant.patient_id, Grant.account_id, Grant.client_id, Grant.scopes).where(
                Grant.id == grant_id, Grant.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        raise InvalidGrantError(description="The grant was revoked.")
    return Grant(
        id=row.id,
        patient_id=row.patient_id,
        account_id=row.account_id,
        client_id=row.client_id,
        scopes=row.scopes,
    )


async def _issue(
    connection: AsyncConnection, tokens: AccessTokens, client: Client, grant: Grant
) -> IssuedTokens:
    # The app keeps only scopes still vetted: an operator's change applies at once.
    scopes = sorted(set(grant.scopes) & set(client.app.vetted_scopes))
    access_token = tokens.mint(
        subject=str(grant.account_id),
        client_id=client.client_id,
        scopes=scopes,
        ttl=ACCESS_TOKEN_LIFETIME,
        extra_claims={ACTING_FOR_CLAIM: str(grant.patient_id), GRANT_ID_CLAIM: str(grant.id)},
    )
    refresh_token = new_secret()
    now = utcnow()
    await connection.execute(
        RefreshToken.__table__.insert().values(
            token_hash=digest(refresh_token),
            grant_id=grant.id,
            client_id=client.client_id,
            expires_at=now + REFRESH_TOKEN_LIFETIME,
            created_at=now,
        )
    )
    await connection.execute(update(Grant).where(Grant.id == grant.id).values(last_used_at=now))
    return IssuedTokens(
        access_token, refresh_token, " ".join(scopes), int(ACCESS_TOKEN_LIFETIME.total_seconds())
    )


async def refresh(
    database: Database, tokens: AccessTokens, *, client: Client, refresh_token: str | None
) -> IssuedTokens:
    """Rotate: the old refresh token dies; presenting a dead one revokes the grant."""
    if not refresh_token:
        raise InvalidRequestError(description="Missing refresh_token.")
    async with database.engine.begin() as connection:
        rotated = await connection.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == digest(refresh_token),
                RefreshToken.client_id == client.client_id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.expires_at > utcnow(),
            )
            .values(rotated_at=utcnow())
            .returning(RefreshToken.grant_id)
        )
        grant_id = rotated.scalar()
        if grant_id is None:
            reused = await connection.scalar(
                select(RefreshToken.grant_id).where(
                    RefreshToken.token_hash == digest(refresh_token), RefreshToken.rotated_at.is_not(None)
                )
            )
            if reused is not None:
                # Reuse means the token leaked: kill the whole grant.
                await connection.execute(update(Grant).where(Grant.id == reused).values(revoked_at=utcnow()))
            await _fail(connection, "Invalid, expired or already used refresh token.")
        grant = await _live_grant(connection, grant_id)
        return await _issue(connection, tokens, client, grant)


async def client_credentials(
    tokens: AccessTokens, *, client_id: str, scopes: list[str], requested: str | None
) -> dict[str, Any]:
    """A token for professional software: its registered scopes, or fewer if asked;
    no refresh token (it can always authenticate again)."""
    allowed = set(scopes)
    asked = set((requested or "").split()) or allowed
    if not asked <= allowed:
        raise InvalidScopeError(description=f"Not registered for: {' '.join(sorted(asked - allowed))}.")
    token = tokens.mint(
        subject=client_id,
        client_id=client_id,
        scopes=sorted(asked),
        ttl=ACCESS_TOKEN_LIFETIME,
        extra_claims={SOFTWARE_CLAIM: True},
    )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "scope": " ".join(sorted(asked)),
    }


async def revoke(database: Database, tokens: AccessTokens, *, client: Client, token: str | None) -> None:
    """RFC 7009: revoke a refresh token (its grant) or an access token (its grant);
    whatever the token, the caller learns nothing."""
    if not token:
        return
    async with database.engine.begin() as connection:
        grant_id = await connection.scalar(
            select(RefreshToken.grant_id).where(
                RefreshToken.token_hash == digest(token), RefreshToken.client_id == client.client_id
            )
        )
        if grant_id is None:
            grant_id = _grant_of_access_token(tokens, token, client)
        if grant_id is not None:
            await connection.execute(
                update(Grant)
                .where(Grant.id == grant_id, Grant.client_id == client.client_id, Grant.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )


def _grant_of_access_token(tokens: AccessTokens, token: str, client: Client) -> uuid.UUID | None:
    try:
        claims = tokens.verify(token)
        if claims.get("client_id") != client.client_id:
            return None
        return uuid.UUID(str(claims[GRANT_ID_CLAIM]))
    except Exception:  # noqa: BLE001 - an unusable token revokes nothing (RFC 7009)
        return None
