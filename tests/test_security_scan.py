"""What an outside GraphQL security scanner checks (graphql-cop's list: the scanner is
not installable here, so each of its probes is sent by hand), against the production
app: every probe must find nothing to report."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from api.app import create_app
from tests.conftest import error_codes
from tests.test_production_mode import production_settings


@pytest.fixture(scope="module")
def scanned(settings, database):
    return create_app(production_settings(settings), database)


@pytest.fixture
async def scanner(scanned) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=scanned)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.espace.test") as client:
        yield client


async def _post(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.post("/graphql", json={"query": query})


async def test_alias_overloading_is_refused(scanner) -> None:
    aliases = " ".join(f"alias{n}: __typename" for n in range(101))
    answer = await _post(scanner, f"query {{ {aliases} }}")
    assert error_codes(answer.json()) == ["QUERY_TOO_COMPLEX"]


async def test_batching_is_refused(scanner) -> None:
    answer = await scanner.post("/graphql", json=[{"query": "{ __typename }"}] * 10)
    assert answer.status_code == 400
    assert "data" not in answer.text


async def test_directive_overloading_is_refused_with_one_error(scanner) -> None:
    answer = await _post(scanner, "query { __typename " + "@aa" * 10 + " }")
    assert len(answer.json()["errors"]) == 1
    many = await _post(scanner, "query { __typename " + "@include(if: true)" * 50 + " }")
    assert error_codes(many.json()) == ["QUERY_TOO_COMPLEX"]


async def test_field_duplication_is_refused(scanner) -> None:
    answer = await _post(scanner, "query { " + "__typename \n" * 500 + "}")
    assert error_codes(answer.json()) == ["QUERY_TOO_COMPLEX"]
    assert "data" not in answer.json() or not answer.json()["data"]


async def test_circular_fragments_and_circular_introspection_are_refused(scanner) -> None:
    circular = """query { __typename ...A }
    fragment A on Query { __typename ...B }
    fragment B on Query { ...A }"""
    assert "errors" in (await _post(scanner, circular)).json()
    deep = "query { __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    refused = (await _post(scanner, deep)).json()
    assert error_codes(refused) in (["QUERY_TOO_COMPLEX"], ["GRAPHQL_VALIDATION_FAILED"])
    assert not refused.get("data")


async def test_no_introspection_no_suggestions_no_graphiql(scanner) -> None:
    introspection = await _post(scanner, "query { __schema { types { name } } }")
    assert "data" not in introspection.json() or introspection.json()["data"] is None
    suggestion = await _post(scanner, "query { patien { id } }")
    assert "Did you mean" not in suggestion.text
    for path in ("/graphql", "/graphiql", "/graphql/console", "/playground", "/"):
        page = await scanner.get(path, headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower(), path
        assert "playground" not in page.text.lower(), path


async def test_no_queries_nor_mutations_over_get_and_no_form_posts(scanner) -> None:
    over_get = await scanner.get("/graphql", params={"query": "query cop { __typename }"})
    assert over_get.status_code == 400
    assert "data" not in over_get.json()
    mutation = await scanner.get("/graphql", params={"query": "mutation cop { __typename }"})
    assert mutation.status_code == 400
    form = await scanner.post("/graphql", data={"query": "query cop { __typename }"})
    assert form.status_code == 415


async def test_no_trace_mode_and_no_unhandled_errors(scanner) -> None:
    traced = await _post(scanner, "query cop { __typename }")
    assert set(traced.json()) == {"data"}  # no extensions: no tracing, no timing
    broken = await _post(scanner, "qwerty cop { abc }")
    body = broken.json()
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]
    for error in body["errors"]:
        assert set(error.get("extensions", {})) <= {"code", "requestId"}
        assert "Traceback" not in json.dumps(error)
