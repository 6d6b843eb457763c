"""Confidential apps and professional software: secrets shown once, client credentials
for deposit feeds only, and app tokens that never exceed what was vetted."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from api.catalogue.manifest import Manifest
from api.catalogue.service import sync_manifests
from api.directory.models import Organization
from api.oauth.admin import register_software
from tests.conftest import error_codes
from tests.oauth.flow import Flow, referenced_app

ROTATE = """mutation($c: String!) {
  rotateClientSecret(clientId: $c) { clientId clientSecret userErrors { field } } }"""


@pytest.fixture
async def browser(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def _graphql(browser, token: str, query: str) -> httpx.Response:
    return await browser.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})


async def test_a_confidential_app_exchanges_its_code_with_its_secret(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"], client_type="confidential")
    assert error_codes(await gql(ROTATE, {"c": manifest.client_id}, as_="nadia")) == ["FORBIDDEN"]
    first = (await gql(ROTATE, {"c": manifest.client_id}, as_="operator"))["data"]["rotateClientSecret"][
        "clientSecret"
    ]
    secret = (await gql(ROTATE, {"c": manifest.client_id}, as_="operator"))["data"]["rotateClientSecret"][
        "clientSecret"
    ]
    assert first != secret
    flow = Flow(browser, manifest.client_id)
    code = await flow.code_for("nadia", "agenda:read", ["agenda:read"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:8765/callback",
        "code_verifier": flow.verifier,
    }
    stale = await browser.post("/oauth/token", data=form, auth=(manifest.client_id, first))
    assert stale.json()["error"] == "invalid_client"
    issued = await browser.post("/oauth/token", data=form, auth=(manifest.client_id, secret))
    assert issued.status_code == 200, issued.text
    public = await referenced_app(gql, database, scopes=["agenda:read"])
    refused = (await gql(ROTATE, {"c": public.client_id}, as_="operator"))["data"]["rotateClientSecret"]
    assert refused == {"clientId": None, "clientSecret": None, "userErrors": [{"field": ["clientId"]}]}


async def test_a_deposit_feed_gets_a_token_by_client_credentials_and_reads_nothing(
    browser, database, gql
) -> None:
    async with database.read() as connection:
        organization_id = await connection.scalar(
            select(Organization.id).where(Organization.finess == "750036527")
        )
    client_id = f"feed-{uuid.uuid4().hex[:8]}"
    secret = await register_software(
        database,
        client_id=client_id,
        name="Test LIMS",
        organization_id=organization_id,
        scopes=["documents:write"],
    )
    issued = await browser.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["scope"] == "documents:write"
    assert "refresh_token" not in body
    viewer = (
        await _graphql(browser, body["access_token"], "{ viewer { kind displayName clientId } }")
    ).json()
    assert viewer["data"]["viewer"] == {
        "kind": "PROFESSIONAL",
        "displayName": "Test LIMS",
        "clientId": client_id,
    }
    nadia = (await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"]
    read = await browser.post(
        "/graphql",
        json={"query": "query($id: ID!) { patient(id: $id) { displayName } }", "variables": {"id": nadia}},
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert error_codes(read.json()) == ["FORBIDDEN"]  # write-only: a feed never reads

    wrong = await browser.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "nope")
    )
    assert wrong.json()["error"] == "invalid_client"
    too_wide = await browser.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "documents:read"},
        auth=(client_id, secret),
    )
    assert too_wide.json()["error"] == "invalid_scope"


async def test_catalogue_apps_never_use_client_credentials(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"])
    response = await browser.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": manifest.client_id}
    )
    assert response.json()["error"] == "unauthorized_client"
    unknown = await browser.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "who-knows"}
    )
    assert unknown.json()["error"] == "invalid_client"


async def test_an_app_token_loses_a_scope_the_moment_the_manifest_drops_it(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read"])
    flow = Flow(browser, manifest.client_id)
    tokens = (
        await flow.exchange(
            await flow.code_for("nadia", "agenda:read profile:read", ["agenda:read", "profile:read"])
        )
    ).json()
    query = "{ viewer { scopes } patient { careTeam { role } } }"
    assert "errors" not in (await _graphql(browser, tokens["access_token"], query)).json()
    narrower = Manifest.model_validate(
        {
            **manifest.model_dump(mode="json"),
            "scopes": [{"scope": "agenda:read", "justification": "Une justification assez longue."}],
        }
    )
    await sync_manifests(database, [narrower])
    body = (await _graphql(browser, tokens["access_token"], query)).json()
    assert body["data"]["viewer"]["scopes"] == ["agenda:read"]
    assert error_codes(body) == ["FORBIDDEN"]
