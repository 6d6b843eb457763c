"""/metrics in Prometheus's text format: GraphQL requests by operation and outcome,
their latencies, the database pool, journal entries written, requests refused by the
rate limits, and the outbox's backlog (read from the database at each scrape).

The endpoint answers to `Authorization: Bearer <ESPACE_METRICS_TOKEN>`; without that
setting it answers in development only. With several uvicorn workers, point
PROMETHEUS_MULTIPROC_DIR at an empty folder so that every worker's counts are summed.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Awaitable, Callable
from threading import Lock

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from api.db import Database
from api.journal.models import OutboxEvent
from api.settings import Settings

REGISTRY = CollectorRegistry(auto_describe=True)

GRAPHQL_REQUESTS = Counter(
    "espace_graphql_requests",
    "GraphQL operations answered, by operation name and outcome (ok, or the first error code).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_SECONDS = Histogram(
    "espace_graphql_request_seconds",
    "Time to answer a GraphQL operation, by operation name.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
JOURNAL_ENTRIES = Counter(
    "espace_journal_entries_written", "Access journal entries written.", registry=REGISTRY
)
RATE_LIMITED = Counter(
    "espace_rate_limited",
    "Requests refused by a rate limit or the cost budget, by limit.",
    ["limit"],
    registry=REGISTRY,
)
POOL = Gauge(
    "espace_db_pool_connections",
    "Database pool connections, by state.",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
OUTBOX_BACKLOG = Gauge(
    "espace_outbox_backlog", "Outbox events not delivered yet.", registry=REGISTRY, multiprocess_mode="max"
)

# Operation names come from clients: only names that look like names, and at most
# this many distinct ones per process, become labels (the rest count as "other").
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,59}$")
_names: set[str] = set()
_names_lock = Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    with _names_lock:
        if name in _names:
            return name
        if len(_names) >= MAX_OPERATION_NAMES:
            return "other"
        _names.add(name)
        return name


def record_operation(name: str | None, outcome: str, seconds: float) -> None:
    label = operation_label(name)
    GRAPHQL_REQUESTS.labels(operation=label, outcome=outcome).inc()
    GRAPHQL_SECONDS.labels(operation=label).observe(seconds)


def _pool_state(database: Database) -> None:
    pool = database.engine.pool
    for state, read in (("checked_out", "checkedout"), ("idle", "checkedin")):
        reader = getattr(pool, read, None)
        if reader is not None:
            POOL.labels(state=state).set(reader())


async def _outbox_backlog(database: Database) -> None:
    async with database.read() as connection:
        pending = await connection.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))
        )
    OUTBOX_BACKLOG.set(int(pending or 0))


def metrics_route(settings: Settings, database: Database) -> Callable[[Request], Awaitable[Response]]:
    """The /metrics endpoint of this app."""

    async def metrics(request: Request) -> Response:
        if not _allowed(settings, request.headers.get("authorization", "")):
            return Response("Not Found", status_code=404, media_type="text/plain")
        _pool_state(database)
        await _outbox_backlog(database)
        registry = REGISTRY
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def _allowed(settings: Settings, authorization: str) -> bool:
    """With a token set, only its bearer; without one, development only (a production
    deployment exposes nothing it did not choose to)."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None:
        return not settings.is_production
    scheme, _, offered = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode())
