"""Persisted queries: Apollo's automatic protocol over POST, registered operations by
hash over GET (never a mutation), and clients held to their registered operations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.bench.queries import DASHBOARD
from api.graphql.persisted import PACKAGED_OPERATIONS, load_registered, sha256_of
from api.identity.service import DEVELOPMENT_CLIENT_ID
from api.settings import Settings
from tests.conftest import SUITE_RATE_LIMITS, error_codes

PROFILE = "query Me { patient { displayName } }"


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_a_query_is_sent_once_then_by_its_hash(client, token_for) -> None:
    headers = {"Authorization": f"Bearer {await token_for('nadia')}"}
    query = f"{PROFILE} # {id(client)}"  # a text this test is the first to send
    digest = sha256_of(query)

    miss = await client.post("/graphql", json={"extensions": persisted(digest)}, headers=headers)
    assert miss.status_code == 400
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert "PersistedQueryNotFound" in miss.json()["errors"][0]["message"]  # what Apollo clients look for

    registered = await client.post(
        "/graphql", json={"query": query, "extensions": persisted(digest)}, headers=headers
    )
    assert registered.json()["data"]["patient"]["displayName"]
    by_hash = await client.post("/graphql", json={"extensions": persisted(digest)}, headers=headers)
    assert by_hash.json() == registered.json()


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "v1",
    ],
)
async def test_a_malformed_persisted_query_is_a_bad_request(client, extension) -> None:
    answer = await client.post("/graphql", json={"extensions": {"persistedQuery": extension}})
    assert answer.status_code == 400
    assert error_codes(answer.json()) == ["BAD_REQUEST"]


async def test_a_hash_that_is_not_the_query_s_is_refused_and_not_kept(client) -> None:
    wrong = "f" * 64
    answer = await client.post("/graphql", json={"query": "{ __typename }", "extensions": persisted(wrong)})
    assert answer.status_code == 400
    assert "not the SHA-256" in answer.json()["errors"][0]["message"]
    miss = await client.post("/graphql", json={"extensions": persisted(wrong)})
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_registered_operations_run_over_get_by_hash(client, token_for) -> None:
    headers = {"Authorization": f"Bearer {await token_for('nadia')}", "Accept": "*/*"}
    params = {
        "extensions": json.dumps(persisted(sha256_of(DASHBOARD.strip()))),
        "variables": json.dumps({"year": 2026}),
    }
    answer = await client.get("/graphql", params=params, headers=headers)
    assert answer.status_code == 200, answer.text  # not GraphiQL, though it accepts */*
    body = answer.json()
    assert "errors" not in body, body
    assert body["data"]["patient"]["displayName"]
    assert body["data"]["patient"]["reimbursementSummary"]["year"] == 2026


async def test_over_get_only_persisted_queries_and_never_a_mutation(client, token_for) -> None:
    headers = {"Authorization": f"Bearer {await token_for('nadia')}"}
    plain = await client.get("/graphql", params={"query": "{ patient { displayName } }"}, headers=headers)
    assert plain.status_code == 400
    assert "only persisted queries" in plain.json()["errors"][0]["message"]

    mutation = (
        'mutation { unblockProfessional(patientId: "x", professionalId: "y") { userErrors { message } } }'
    )
    digest = sha256_of(mutation)
    kept = await client.post(
        "/graphql", json={"query": mutation, "extensions": persisted(digest)}, headers=headers
    )
    assert kept.status_code == 200
    over_get = await client.get(
        "/graphql", params={"extensions": json.dumps(persisted(digest))}, headers=headers
    )
    assert over_get.status_code in (400, 405)
    assert "data" not in over_get.json() or over_get.json()["data"] is None

    with_text = await client.get(
        "/graphql",
        params={"query": "{ __typename }", "extensions": json.dumps(persisted(sha256_of("{ __typename }")))},
    )
    assert with_text.status_code == 400


async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_a_client_held_to_registered_operations_runs_nothing_else(
    settings, database, token_for, tmp_path: Path
) -> None:
    (tmp_path / "me.graphql").write_text(f"\n{PROFILE}\n")
    held = Settings(
        _env_file=None,
        var_dir=settings.var_dir,
        database_url=settings.resolved_database_url,
        plugin_hooks_interval=0,
        operations_dir=tmp_path,
        registered_operations_only=DEVELOPMENT_CLIENT_ID,
        **SUITE_RATE_LIMITS,
    )
    app = create_app(held, database)
    headers = {"Authorization": f"Bearer {await token_for('nadia')}"}
    async for client in _client(app):
        full_text = await client.post("/graphql", json={"query": PROFILE}, headers=headers)
        assert full_text.json()["data"]["patient"]["displayName"]
        by_hash = await client.post(
            "/graphql", json={"extensions": persisted(sha256_of(PROFILE))}, headers=headers
        )
        assert by_hash.json() == full_text.json()

        other = await client.post("/graphql", json={"query": "{ patient { birthDate } }"}, headers=headers)
        assert other.status_code == 403
        assert error_codes(other.json()) == ["FORBIDDEN"]
        assert other.json()["data"] is None
        # Registering a new query through the automatic protocol does not open the door.
        text = "{ patient { birthDate } }"
        sneaked = await client.post(
            "/graphql", json={"query": text, "extensions": persisted(sha256_of(text))}, headers=headers
        )
        assert sneaked.status_code == 403
        # Anonymous requests hold no client: they are not held (and see nothing anyway).
        assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200


def test_the_packaged_operations_are_the_portal_s_home_query() -> None:
    operations = load_registered(PACKAGED_OPERATIONS)
    assert operations[sha256_of(DASHBOARD.strip())] == DASHBOARD.strip()
    assert load_registered(PACKAGED_OPERATIONS / "missing") == {}
