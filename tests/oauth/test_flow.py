"""The whole flow, as a catalogue app: authorize -> login -> consent (a subset
of scopes) -> code -> token with PKCE -> GraphQL -> refresh with rotation ->
reuse kills the grant -> revoke."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import error_codes
from tests.journal.helpers import entries, events
from tests.oauth.flow import REDIRECT_URI, Flow, referenced_app


@pytest.fixture
async def browser(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client


async def _graphql(browser, token: str, query: str, variables: dict | None = None) -> dict:
    response = await browser.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


async def test_the_whole_flow(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read", "documents:read"])
    flow = Flow(browser, manifest.client_id)
    code = await flow.code_for("nadia", "agenda:read documents:read profile:read", granted=["agenda:read"])
    issued = await flow.exchange(code)
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    tokens = issued.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "agenda:read"  # fewer than asked: the patient chose

    body = await _graphql(
        browser,
        tokens["access_token"],
        "{ viewer { kind scopes displayName } patient { displayName careTeam { role } } }",
    )
    assert body["data"]["viewer"]["kind"] == "APP"
    assert body["data"]["viewer"]["scopes"] == ["agenda:read"]
    assert body["data"]["patient"]["displayName"] == "Nadia Benali"
    assert error_codes(body) == ["FORBIDDEN"]  # careTeam needs profile:read, not granted
    nadia_id = (await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"]
    journal = await gql(
        """query($id: ID!) { patient(id: $id) {
          accessLog(first: 5) { edges { node { actorKind actorName clientId } } } } }""",
        {"id": nadia_id},
        as_="nadia",
    )
    latest = journal["data"]["patient"]["accessLog"]["edges"][0]["node"]
    assert latest == {"actorKind": "APP", "actorName": manifest.name, "clientId": manifest.client_id}

    refreshed = await flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    rotated = refreshed.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert "errors" not in await _graphql(browser, rotated["access_token"], "{ patient { displayName } }")

    reused = await flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    dead = await browser.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {rotated['access_token']}"},
    )
    assert dead.status_code == 401
    again = await flow.token(grant_type="refresh_token", refresh_token=rotated["refresh_token"])
    assert again.json()["error"] == "invalid_grant"


async def test_revocation_and_introspection(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"], client_type="confidential")
    secret = (
        await gql(
            "mutation($c: String!) { rotateClientSecret(clientId: $c) { clientSecret } }",
            {"c": manifest.client_id},
            as_="operator",
        )
    )["data"]["rotateClientSecret"]["clientSecret"]
    auth = (manifest.client_id, secret)
    flow = Flow(browser, manifest.client_id)
    code = await flow.code_for("nadia", "agenda:read", ["agenda:read"])
    issued = await browser.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": flow.verifier,
        },
        auth=auth,
    )
    tokens = issued.json()
    introspected = await browser.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=auth)
    assert introspected.json()["active"] is True
    assert introspected.json()["scope"] == "agenda:read"
    unauthenticated = await browser.post(
        "/oauth/introspect", data={"client_id": manifest.client_id, "token": tokens["access_token"]}
    )
    assert unauthenticated.json()["error"] == "invalid_client"  # RFC 7662: clients authenticate
    revoked = await browser.post("/oauth/revoke", data={"token": tokens["refresh_token"]}, auth=auth)
    assert revoked.status_code == 200
    dead = await browser.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert dead.status_code == 401
    after = await browser.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=auth)
    assert after.json() == {"active": False}
    for token in ("garbage", ""):
        assert (await browser.post("/oauth/revoke", data={"token": token}, auth=auth)).status_code == 200
        assert (await browser.post("/oauth/introspect", data={"token": token}, auth=auth)).json() == {
            "active": False
        }


async def test_a_public_client_revokes_its_own_tokens(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"])
    flow = Flow(browser, manifest.client_id)
    tokens = (await flow.exchange(await flow.code_for("nadia", "agenda:read", ["agenda:read"]))).json()
    revoked = await browser.post(
        "/oauth/revoke", data={"client_id": manifest.client_id, "token": tokens["refresh_token"]}
    )
    assert revoked.status_code == 200
    dead = await browser.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert dead.status_code == 401


async def test_a_parent_connects_an_app_to_a_childs_space(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read"])
    flow = Flow(browser, manifest.client_id)
    toddler = (await gql("{ viewer { patients { id displayName } } }", as_="parent"))["data"]["viewer"][
        "patients"
    ][2]
    assert toddler["displayName"] == "Hugo Lefèvre"
    from api.graphql.ids import decode_id

    code = await flow.code_for(
        "parent", "agenda:read profile:read", ["profile:read"], space=str(decode_id(toddler["id"])[1])
    )
    tokens = (await flow.exchange(code)).json()
    body = await _graphql(browser, tokens["access_token"], "{ patient { displayName careTeam { role } } }")
    assert body["data"]["patient"]["displayName"] == "Hugo Lefèvre"
    parent_id = (await gql("{ patient { id } }", as_="parent"))["data"]["patient"]["id"]
    own = await _graphql(
        browser,
        tokens["access_token"],
        "query($id: ID!) { patient(id: $id) { displayName } }",
        {"id": parent_id},
    )
    assert error_codes(own) == ["FORBIDDEN"]  # the token acts for the toddler's space only
    connected = await gql(
        "query($id: ID!) { patient(id: $id) { connectedApps { grantedScopes app { clientId } } } }",
        {"id": toddler["id"]},
        as_="parent",
    )
    assert {"grantedScopes": ["profile:read"], "app": {"clientId": manifest.client_id}} in connected["data"][
        "patient"
    ]["connectedApps"]
    journal_of_toddler = await entries(database, decode_id(toddler["id"])[1])
    assert any(e.actor_kind == "APP" and e.client_id == manifest.client_id for e in journal_of_toddler)


async def test_revoke_app_kills_every_token_of_the_grant(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"])
    flow = Flow(browser, manifest.client_id)
    tokens = (await flow.exchange(await flow.code_for("nadia", "agenda:read", ["agenda:read"]))).json()
    body = await gql(
        """mutation($c: String!) { revokeApp(clientId: $c) {
          patient { connectedApps { app { clientId } } } userErrors { message } } }""",
        {"c": manifest.client_id},
        as_="nadia",
    )
    assert body["data"]["revokeApp"]["userErrors"] == []
    clients = [a["app"]["clientId"] for a in body["data"]["revokeApp"]["patient"]["connectedApps"]]
    assert manifest.client_id not in clients
    assert (
        await browser.post(
            "/graphql",
            json={"query": "{ viewer { kind } }"},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    ).status_code == 401
    assert (await flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])).json()[
        "error"
    ] == "invalid_grant"
    again = await gql(
        "mutation($c: String!) { revokeApp(clientId: $c) { userErrors { field } } }",
        {"c": manifest.client_id},
        as_="nadia",
    )
    assert again["data"]["revokeApp"]["userErrors"] == [{"field": ["clientId"]}]


async def test_suspending_an_app_stops_its_tokens_at_the_next_request(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"])
    flow = Flow(browser, manifest.client_id)
    tokens = (await flow.exchange(await flow.code_for("nadia", "agenda:read", ["agenda:read"]))).json()
    assert "errors" not in await _graphql(browser, tokens["access_token"], "{ patient { displayName } }")
    await gql(
        "mutation($input: ReviewAppInput!) { reviewApp(input: $input) { userErrors { message } } }",
        {"input": {"clientId": manifest.client_id, "decision": "SUSPEND", "comment": "Audit failed"}},
        as_="operator",
    )
    response = await browser.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 401
    from api.graphql.ids import decode_id

    nadia = decode_id((await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"])[1]
    told = [
        e
        for e in await events(database, nadia, "catalogue.app_suspended")
        if e.payload["clientId"] == manifest.client_id
    ]
    assert len(told) == 1  # Nadia connected it: she is told
    refused = await flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_client"
    page = await flow.authorize("agenda:read")
    assert page.status_code == 400  # our error page: no redirect for an unreferenced client
