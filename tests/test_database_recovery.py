"""The database going away (a restart, a failover) is survived without restarting
the API: the requests caught in it answer SERVICE_UNAVAILABLE (retryable), the
ones after it are served. The pool pings no connection before use (a round trip
per statement); a disconnect invalidates the whole pool instead."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.db import Database
from tests.conftest import error_codes

QUERY = "{ patient { displayName documents(first: 3) { edges { node { title } } } } }"


async def _drop_every_connection(settings) -> int:
    """What a restart does to the API's pooled connections: the server ends them
    (from a connection of its own, which is spared)."""
    outsider = Database(settings)
    try:
        async with outsider.read() as connection:
            dropped = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                    "datname = current_database() AND application_name = 'espace-sante' "
                    "AND pid != pg_backend_pid()"
                )
            )
    finally:
        await outsider.dispose()
    return int(dropped or 0)


async def test_requests_after_the_database_dropped_every_connection_are_served(
    app, client, database, settings, token_for
) -> None:
    if database.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    token = await token_for("nadia")
    headers = {"Authorization": f"Bearer {token}"}
    app_database = app.state.database
    for _ in range(3):
        assert (await client.post("/graphql", json={"query": QUERY}, headers=headers)).status_code == 200
    assert await _drop_every_connection(settings) >= 1

    answers = [await client.post("/graphql", json={"query": QUERY}, headers=headers) for _ in range(4)]

    # The first request meets a dead connection (nothing pings it first): it is told
    # to retry, never a 500, and its failure invalidates the rest of the pool.
    first, *later = answers
    assert first.status_code == 503, first.text
    assert error_codes(first.json()) == ["SERVICE_UNAVAILABLE"]
    assert first.headers["retry-after"] == "1"
    for answer in later:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert "errors" not in body, body
        assert body["data"]["patient"]["displayName"]
    assert app_database is app.state.database


def test_a_field_cut_off_by_a_lost_connection_is_retryable_and_one_failing_otherwise_masked() -> None:
    from graphql import GraphQLError
    from sqlalchemy.exc import DBAPIError, ProgrammingError

    from api.graphql.errors import MASKED_MESSAGE, ErrorPresentation

    presentation = ErrorPresentation()
    presentation._executing = True
    lost = DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    broken = ProgrammingError("SELECT nope", {}, Exception("syntax error"))

    retry = presentation._present(GraphQLError("x", path=["patient"], original_error=lost), "r1")
    masked = presentation._present(GraphQLError("x", path=["patient"], original_error=broken), "r2")

    assert retry.extensions == {"code": "SERVICE_UNAVAILABLE", "requestId": "r1"}
    assert "retry" in retry.message
    assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "r2"}
    assert masked.message == MASKED_MESSAGE


def test_only_an_unreachable_database_is_retryable() -> None:
    from asyncpg.exceptions import CannotConnectNowError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from api.db import connection_lost

    assert connection_lost(ConnectionRefusedError(111, "Connect call failed"))
    assert connection_lost(CannotConnectNowError("the database system is starting up"))
    assert connection_lost(PoolTimeout("QueuePool limit reached"))
    # A missing file of the content store is no database outage.
    assert not connection_lost(FileNotFoundError("blob"))
    assert not connection_lost(ValueError("bad input"))
