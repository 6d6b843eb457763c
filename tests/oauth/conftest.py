"""Fixtures of the authorization server's tests: a browser on the app, a referenced app's flow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.oauth.flow import Flow, referenced_app


@pytest.fixture
async def browser(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


@pytest.fixture
async def app_flow(browser, gql, database) -> Flow:
    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read"])
    return Flow(browser, manifest.client_id)
