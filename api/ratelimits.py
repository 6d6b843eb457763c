"""Rate limits and budgets, on the `limits` package: in memory by default, in Redis
(ESPACE_RATE_LIMIT_STORAGE=redis://...) when several processes must share them.

Each rule is a sliding window counter (a smooth approximation of a leaky bucket that
costs one counter per window in Redis): requests per client IP on /graphql and on the
authorization server, requests per token, per third-party client across its users,
the query cost a token may spend per minute, failed logins per account and per IP.
A refusal says when to retry (RATE_LIMITED, HTTP 429, Retry-After).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from redis.asyncio import ConnectionPool

from api.errors import RateLimited
from api.identity.principal import Principal, PrincipalKind
from api.metrics import RATE_LIMITED
from api.settings import Settings

logger = logging.getLogger("api.ratelimits")


class Refused(RateLimited):
    """Over a limit: the message names it, `retry_after` says when to come back (seconds)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rules:
    per_ip: RateLimitItem
    oauth_per_ip: RateLimitItem
    per_token: RateLimitItem
    per_client: RateLimitItem
    cost_per_token: RateLimitItem
    login_failures_per_account: RateLimitItem
    login_failures_per_ip: RateLimitItem

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        return cls(
            per_ip=parse(settings.rate_limit_ip),
            oauth_per_ip=parse(settings.rate_limit_oauth_ip),
            per_token=parse(settings.rate_limit_token),
            per_client=parse(settings.rate_limit_client),
            cost_per_token=parse(settings.query_cost_budget),
            login_failures_per_account=parse(settings.login_failures_account),
            login_failures_per_ip=parse(settings.login_failures_ip),
        )


class RateLimits:
    """The limits of one process (shared through Redis when configured)."""

    def __init__(self, settings: Settings) -> None:
        self.rules = Rules.of(settings)
        url = settings.rate_limit_storage
        # Our own pool for Redis, so that closing the app closes its connections.
        self._redis: ConnectionPool | None = None
        if url == "memory":
            self.storage: Storage = MemoryStorage()
        else:
            self._redis = ConnectionPool.from_url(url)
            self.storage = storage_from_string(
                f"async+{url}", implementation="redispy", connection_pool=self._redis
            )
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.disconnect()

    async def _take(self, rule: RateLimitItem, key: str, what: str, cost: int = 1) -> None:
        if cost <= 0:
            return
        if await self._limiter.hit(rule, key, cost=cost):
            return
        reset_at, _ = await self._limiter.get_window_stats(rule, key)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        logger.info("rate limited: %s (%s)", what, rule)
        RATE_LIMITED.labels(limit=key.split(":", 1)[0]).inc()
        raise Refused(f"Too many requests: {what} ({rule}). Retry in {retry_after} s.", retry_after)

    async def request_from(self, ip: str, *, oauth: bool) -> None:
        """A request from this address (before anything else is read of it)."""
        if oauth:
            await self._take(
                self.rules.oauth_per_ip, f"oauth-ip:{ip}", "authorization requests from this address"
            )
        else:
            await self._take(self.rules.per_ip, f"ip:{ip}", "requests from this address")

    async def request_by(self, principal: Principal) -> None:
        """An authenticated request: per token, and per third-party client (an app or
        a professional's software, across all its users)."""
        await self._take(self.rules.per_token, f"token:{_holder(principal)}", "requests with this token")
        if principal.kind is PrincipalKind.APP or principal.feed:
            await self._take(
                self.rules.per_client, f"client:{principal.client_id}", "requests of this client"
            )

    async def spend(self, principal: Principal | None, ip: str, cost: int) -> None:
        """A query's cost, charged to the token's budget (to the address's without one)."""
        holder = f"token:{_holder(principal)}" if principal else f"ip:{ip}"
        await self._take(self.rules.cost_per_token, f"cost:{holder}", "query cost for this token", cost)

    async def check_login(self, handle: str, ip: str) -> None:
        """Before checking a password: refused while either failure count is spent."""
        for rule, key, what in self._login_rules(handle, ip):
            if not await self._limiter.test(rule, key):
                RATE_LIMITED.labels(limit=key.split(":", 1)[0]).inc()
                reset_at, _ = await self._limiter.get_window_stats(rule, key)
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise Refused(f"Too many failed logins: {what}. Retry in {retry_after} s.", retry_after)

    async def login_failed(self, handle: str, ip: str) -> None:
        for rule, key, _ in self._login_rules(handle, ip):
            await self._limiter.hit(rule, key)

    def _login_rules(self, handle: str, ip: str) -> list[tuple[RateLimitItem, str, str]]:
        return [
            (self.rules.login_failures_per_account, f"login:{handle.lower()}", "for this account"),
            (self.rules.login_failures_per_ip, f"login-ip:{ip}", "from this address"),
        ]


def _holder(principal: Principal) -> str:
    """What a token stands for: a person through a client, so that asking for new
    tokens does not reset a budget."""
    return f"{principal.client_id}:{principal.account_id}"
