"""Health and readiness endpoints."""

from __future__ import annotations

import httpx

from api.app import create_app
from api.db import Database
from api.settings import Settings


async def test_healthz_answers_json(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_is_ok_at_the_latest_migration(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "at head"}


async def test_readyz_is_503_while_migrations_are_pending(tmp_path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path)
    database = Database(settings)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "migrations pending"
    finally:
        await database.dispose()


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path) -> None:
    settings = Settings(
        _env_file=None, var_dir=tmp_path, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    database = Database(settings)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
    finally:
        await database.dispose()


async def test_the_root_leads_to_graphiql_in_development(client) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/graphql"


def test_the_websocket_endpoint_is_the_graphql_one_only(app) -> None:
    # Subscriptions only (queries there would skip the request's journal write):
    # tests/messaging/test_live.py holds the rest.
    from starlette.routing import WebSocketRoute

    assert [route.path for route in app.routes if isinstance(route, WebSocketRoute)] == ["/graphql"]
