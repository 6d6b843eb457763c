"""Fixtures shared by the whole suite.

The suite runs on SQLite by default, and on PostgreSQL when
ESPACE_TEST_DATABASE_URL names a server (its database is only used to create
and drop a fresh database for this run). One database per run, migrated and
loaded with the demo personas once; tests that change data make their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api.app import access_tokens, create_app
from api.db import Database
from api.demo.personas import load_personas
from api.identity.dev_tokens import find_account, mint_development_token
from api.identity.tokens import AccessTokens
from api.migrations import upgrade
from api.settings import Settings

TEST_DATABASE_ENV = "ESPACE_TEST_DATABASE_URL"


def pytest_report_header() -> str:
    server = os.environ.get(TEST_DATABASE_ENV)
    return (
        f"espace database: {'PostgreSQL at ' + make_url(server).render_as_string() if server else 'SQLite'}"
    )


async def _create_postgres_database(server_url: str) -> str:
    url = make_url(server_url).set(drivername="postgresql")
    name = f"espace_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return (
        make_url(server_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


async def _drop_postgres_database(server_url: str, database_url: str) -> None:
    url = make_url(server_url).set(drivername="postgresql")
    name = make_url(database_url).database
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
async def database_url(var_dir: Path) -> AsyncIterator[str]:
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        yield f"sqlite+aiosqlite:///{var_dir / 'test.db'}"
        return
    url = await _create_postgres_database(server)
    try:
        yield url
    finally:
        await _drop_postgres_database(server, url)


SUITE_RATE_LIMITS = {
    "rate_limit_ip": "1000000/minute",
    "rate_limit_oauth_ip": "1000000/minute",
    "rate_limit_token": "1000000/minute",
    "rate_limit_client": "1000000/minute",
    "query_cost_budget": "100000000/minute",
    "login_failures_account": "1000000/minute",
    "login_failures_ip": "1000000/minute",
}


@pytest.fixture(scope="session")
def settings(var_dir: Path, database_url: str) -> Settings:
    # The hooks' relay runs when a test says so (api.hooks.run_hooks), not in the background.
    # The suite sends far more from one address and one token than a person would:
    # its limits are wide; tests/test_rate_limits.py checks the limits themselves.
    return Settings(
        _env_file=None,
        var_dir=var_dir,
        database_url=database_url,
        env="development",
        plugin_hooks_interval=0,
        **SUITE_RATE_LIMITS,
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    await upgrade(database)
    await load_personas(database)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def tokens(settings: Settings) -> AccessTokens:
    return access_tokens(settings)


@pytest.fixture(scope="session")
def app(settings: Settings, database: Database) -> Any:
    return create_app(settings, database)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def token_for(settings: Settings, database: Database, tokens: AccessTokens) -> Any:
    """`await token_for("nadia", scopes=...)`: a development token for a persona."""

    async def mint(handle: str, **options: Any) -> str:
        account = await find_account(database, handle)
        assert account is not None, f"no persona {handle}"
        return mint_development_token(settings, tokens, account, **options)

    return mint


class GraphQLClient:
    """Posts operations as a given persona and returns the decoded body."""

    def __init__(self, client: httpx.AsyncClient, token_for: Any) -> None:
        self._client = client
        self._token_for = token_for
        self.last_response: httpx.Response | None = None

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = {}
        if as_ is not None:
            token = await self._token_for(as_)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.last_response = await self._client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return self.last_response.json()


@pytest.fixture
def gql(client: httpx.AsyncClient, token_for: Any) -> GraphQLClient:
    return GraphQLClient(client, token_for)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(database: Database) -> Iterator[StatementCounter]:
    """Records every SQL statement the engine runs during the test."""
    counter = StatementCounter()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)

    for engine in database.engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield counter
    for engine in database.engines:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def needs_plugin(name: str) -> pytest.MarkDecorator:
    """For tests of what a plugin brings (the vaccination calendar's agenda items):
    skipped in the run that proves the core stands without plugins (ESPACE_PLUGINS=none)."""
    from api.plugins import active

    return pytest.mark.skipif(
        active().named(name) is None, reason=f"the {name} plugin is not enabled (ESPACE_PLUGINS)"
    )


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


@pytest.fixture
def token_of(settings: Settings, database: Database, tokens: AccessTokens) -> Any:
    """`await token_of(person, acting_for=...)`: a development token for a test person."""

    async def mint(person: Any, **options: Any) -> str:
        account = await find_account(database, str(person.account_id))
        assert account is not None
        return mint_development_token(settings, tokens, account, **options)

    return mint


@pytest.fixture(scope="session")
def contents(settings: Settings, database: Database) -> Any:
    from api.contents.service import contents_for

    return contents_for(settings, database)
