"""ESPACE_ENV=production gives an attacker nothing: no introspection (unless allowed),
no suggestions, no GraphiQL, no batching, strict headers, CORS from an allow list only,
and `espace serve` refuses development defaults."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import access_tokens, create_app
from api.contents.crypto import new_key
from api.identity.dev_tokens import find_account, mint_development_token
from api.identity.keys import generate_signing_key_pem
from api.settings import Settings
from tests.conftest import error_codes

PORTAL = "https://portail.espace.test"


def production_settings(settings: Settings, **overrides: Any) -> Settings:
    """The suite's database and folder, in production with its own secrets."""
    values: dict[str, Any] = {
        "_env_file": None,
        "env": "production",
        "var_dir": settings.var_dir,
        "database_url": settings.resolved_database_url,
        "token_signing_key": generate_signing_key_pem(),
        "content_master_key": base64.b64encode(new_key()).decode(),
        "token_issuer": "https://espace.test",
        "token_audience": "https://api.espace.test",
        "cors_origins": PORTAL,
        **overrides,
    }
    return Settings(**values)


async def _client(app: Any, base_url: str = "https://api.espace.test") -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client:
        yield client


@pytest.fixture(scope="module")
def production(settings: Settings, database: Any) -> tuple[Settings, Any]:
    prod = production_settings(settings)
    return prod, create_app(prod, database)


@pytest.fixture
async def prod_client(production) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(production[1]):
        yield client


async def _token(settings: Settings, prod: Settings, database: Any, handle: str) -> str:
    # Development tokens are refused in production: minted with the development
    # settings, signed with the production key, as the authorization server would.
    account = await find_account(database, handle)
    assert account is not None
    return mint_development_token(settings, access_tokens(prod), account)


async def test_introspection_is_refused_but_typename_answers(prod_client) -> None:
    for query in ("{ __schema { types { name } } }", '{ __type(name: "Patient") { fields { name } } }'):
        answer = await prod_client.post("/graphql", json={"query": query})
        assert answer.status_code == 400
        assert error_codes(answer.json()) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "introspection has been disabled" in answer.json()["errors"][0]["message"]
    typename = await prod_client.post("/graphql", json={"query": "{ __typename }"})
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_introspection_may_be_allowed_for_a_trusted_network(settings, database) -> None:
    app = create_app(production_settings(settings, allow_introspection=True), database)
    async for client in _client(app):
        answer = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
        assert answer.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_errors_suggest_no_field_names(prod_client, client) -> None:
    query = {"query": "{ viewr { id } }"}
    development = await client.post("/graphql", json=query)
    assert "Did you mean" in development.json()["errors"][0]["message"]
    answer = await prod_client.post("/graphql", json=query)
    assert error_codes(answer.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in answer.text
    assert "viewer" not in answer.text


async def test_no_graphiql_and_no_queries_over_get(prod_client) -> None:
    page = await prod_client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("application/json")
    assert "graphiql" not in page.text.lower()
    over_get = await prod_client.get("/graphql", params={"query": "{ __typename }"})
    assert over_get.status_code == 400
    assert "data" not in over_get.json()


async def test_batches_and_non_json_bodies_are_refused(prod_client) -> None:
    batch = await prod_client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    assert batch.status_code == 400
    assert error_codes(batch.json()) == ["BAD_REQUEST"]
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        refused = await prod_client.post(
            "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": content_type}
        )
        assert refused.status_code == 415
        assert error_codes(refused.json()) == ["BAD_REQUEST"]


async def test_answers_carry_no_execution_details(production, settings, database, prod_client) -> None:
    token = await _token(settings, production[0], database, "nadia")
    answer = await prod_client.post(
        "/graphql",
        json={"query": "{ patient { displayName documents(first: 2) { edges { node { title } } } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = answer.json()
    assert answer.status_code == 200, body
    assert set(body) == {"data"}  # no tracing, timing or other extensions
    assert body["data"]["patient"]["displayName"]


async def test_headers_forbid_framing_sniffing_and_content_and_demand_tls(production, prod_client) -> None:
    answer = await prod_client.post("/graphql", json={"query": "{ __typename }"})
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    # HSTS only means something over TLS: not sent over plain HTTP (a proxy's health check).
    async for plain in _client(production[1], base_url="http://api.espace.test"):
        assert "strict-transport-security" not in (await plain.get("/healthz")).headers
    # The authorization server's pages keep their own policy (their forms post to it).
    page = await prod_client.get("/oauth/authorize", params={"client_id": "nope", "response_type": "code"})
    assert page.headers["content-type"].startswith("text/html")
    assert "form-action 'self'" in page.headers["content-security-policy"]


async def test_development_sends_no_production_policy(client) -> None:
    answer = await client.post("/graphql", json={"query": "{ __typename }"})
    assert "content-security-policy" not in answer.headers  # GraphiQL loads its scripts
    assert "strict-transport-security" not in answer.headers


async def test_cors_answers_the_allowed_origins_only(prod_client, client) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = await prod_client.options("/graphql", headers={"Origin": PORTAL, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == PORTAL
    assert "Authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in allowed.headers  # bearer tokens, no cookies

    other = await prod_client.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = await prod_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers

    # No allow list (the development default): no CORS headers for anyone.
    unlisted = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": PORTAL})
    assert "access-control-allow-origin" not in unlisted.headers


def test_production_refuses_development_addresses_and_plain_origins(settings) -> None:
    good = production_settings(settings, database_url="postgresql://u@h/db")
    assert good.production_problems() == []
    bad = production_settings(
        settings,
        database_url="postgresql://u@h/db",
        token_issuer="http://127.0.0.1:8000",
        token_audience="https://api.espace-sante.example",
        cors_origins="https://portail.example, http://localhost:3000",
    )
    problems = bad.production_problems()
    assert [problem.split()[0] for problem in problems] == [
        "ESPACE_TOKEN_ISSUER",
        "ESPACE_TOKEN_AUDIENCE",
        "ESPACE_CORS_ORIGINS",
    ]
    assert "http://localhost:3000" in problems[-1]
    assert "https://portail.example" not in problems[-1]


@pytest.mark.parametrize(
    "origins", ["portail.example", "https://portail.example/app", "https://*.example", "ftp://x.example"]
)
def test_a_cors_entry_that_is_not_an_origin_is_refused(origins) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        Settings(_env_file=None, cors_origins=origins)
