"""Development tokens: the same access tokens as production issues, minted
locally for a persona, so that GraphiQL and the tests speak as anyone.
Never in production."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import timedelta

from api.db import Database
from api.directory import queries
from api.directory.records import AccountRecord
from api.identity.scopes import all_scopes
from api.identity.service import ACTING_FOR_CLAIM, DEVELOPMENT_CLIENT_ID
from api.identity.tokens import AccessTokens
from api.settings import Settings

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_TTL = timedelta(days=30)


class DevelopmentTokensRefused(RuntimeError):
    """Raised in production: development tokens would bypass the authorization server."""


def parse_ttl(text: str) -> timedelta:
    """'90s', '15m', '1h' or '2d'; ValueError for anything else or beyond 30 days."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"invalid duration {text!r}: use a number and s, m, h or d (e.g. 1h)")
    ttl = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"the duration must be above 0 and at most {MAX_TTL.days} days")
    return ttl


async def find_account(database: Database, who: str) -> AccountRecord | None:
    """An account by handle, by its id, or by the id of the person behind it."""
    async with database.read() as connection:
        account = await queries.account_by_handle(connection, who)
        if account is None:
            try:
                person_id = uuid.UUID(who)
            except ValueError:
                return None
            account = await queries.account_by_any_id(connection, person_id)
    return account


def mint_development_token(
    settings: Settings,
    tokens: AccessTokens,
    account: AccountRecord,
    *,
    scopes: Iterable[str] | None = None,
    ttl: timedelta | None = None,
    acting_for: uuid.UUID | None = None,
) -> str:
    if settings.is_production:
        raise DevelopmentTokensRefused("development tokens are refused in production (ESPACE_ENV=production)")
    return tokens.mint(
        subject=str(account.id),
        client_id=DEVELOPMENT_CLIENT_ID,
        scopes=all_scopes() if scopes is None else scopes,
        ttl=ttl or settings.dev_token_ttl,
        extra_claims={ACTING_FOR_CLAIM: str(acting_for)} if acting_for else None,
    )
