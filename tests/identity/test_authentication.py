"""Bearer tokens over HTTP: absent, invalid, valid."""

from __future__ import annotations

from datetime import timedelta

from api.identity.tokens import AccessTokens
from tests.conftest import error_codes

VIEWER = "{ viewer { kind displayName } }"


async def test_without_a_token_viewer_is_unauthenticated(gql) -> None:
    body = await gql(VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_an_invalid_token_refuses_the_request_with_401(client) -> None:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_scheme_other_than_bearer_is_refused(client) -> None:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_token_for_an_unknown_account_is_refused(client, tokens: AccessTokens) -> None:
    token = tokens.mint(
        subject="00000000-0000-7000-8000-000000000000", client_id="c", scopes=[], ttl=timedelta(minutes=1)
    )
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert "unknown subject" in response.json()["errors"][0]["message"]


async def test_a_token_whose_subject_is_not_an_id_is_refused(client, tokens: AccessTokens) -> None:
    token = tokens.mint(subject="nadia", client_id="c", scopes=[], ttl=timedelta(minutes=1))
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


async def test_scopes_of_the_token_are_the_viewers(gql, token_for) -> None:
    token = await token_for("nadia", scopes={"agenda:read"})
    body = await gql("{ viewer { scopes clientId } }", token=token)
    assert body["data"]["viewer"] == {"scopes": ["agenda:read"], "clientId": "espace-dev-cli"}


async def test_a_revoked_token_is_refused_at_once(client, database, token_for, tokens: AccessTokens) -> None:
    from sqlalchemy import insert

    from api.db import utcnow
    from api.identity.models import RevokedToken

    token = await token_for("nadia")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 200
    claims = tokens.verify(token)
    async with database.session() as session:
        await session.execute(
            insert(RevokedToken).values(jti=claims["jti"], expires_at=utcnow() + timedelta(hours=1))
        )
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["errors"][0]["message"]
