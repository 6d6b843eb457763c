"""The HTTP layer refuses bad requests with a 4xx and a GraphQL error body."""

from __future__ import annotations

import logging

import pytest

from api.directory.loaders import PatientByIdLoader
from tests.conftest import error_codes


async def test_malformed_json_is_400(client) -> None:
    response = await client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_other_content_types_are_415(client, content_type: str) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ viewer { kind } }"}', headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_a_syntax_error_is_400_with_a_code(gql) -> None:
    body = await gql("{ viewer { kind ")
    assert gql.last_response.status_code == 400
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_an_unknown_field_is_400(gql) -> None:
    body = await gql("{ nothingHere }")
    assert gql.last_response.status_code == 400
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_wrongly_typed_variable_is_400(gql) -> None:
    body = await gql("query($id: ID!) { patient(id: $id) { displayName } }", {"id": None}, as_="nadia")
    assert gql.last_response.status_code == 400
    assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "payload", [b'{"query": 5}', b'{"variables": {}}', b'{"query": "{ viewer { kind } }", "variables": []}']
)
async def test_malformed_operations_are_400(client, payload: bytes) -> None:
    response = await client.post("/graphql", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_a_body_over_the_limit_is_413(client, settings) -> None:
    query = "{ viewer { kind } }" + " " * settings.request_max_bytes
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_a_streamed_body_over_the_limit_is_413(client, settings) -> None:
    async def chunks():
        yield b'{"query": "{ viewer { kind } }", "pad": "'
        for _ in range(settings.request_max_bytes // 10_000 + 2):
            yield b"x" * 10_000
        yield b'"}'

    response = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_a_nonsense_content_length_is_400(app) -> None:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-length", b"lots")],
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 400


async def test_batches_are_refused(client) -> None:
    response = await client.post("/graphql", json=[{"query": "{ viewer { kind } }"}] * 2)
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_queries_over_get_are_refused(client) -> None:
    response = await client.get("/graphql", params={"query": "{ viewer { kind } }"})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_graphiql_is_served_in_development(client) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(gql, monkeypatch, caplog) -> None:
    async def explode(self, keys):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(PatientByIdLoader, "batch_load_fn", explode)
    with caplog.at_level(logging.ERROR, logger="api.graphql"):
        body = await gql("{ viewer { kind } patient { displayName } }", as_="nadia")
    assert body["data"]["viewer"] == {"kind": "PATIENT"}  # the rest of the answer comes back
    (error,) = body["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "hunter2" not in str(body)
    request_id = gql.last_response.headers["x-request-id"]
    assert error["extensions"]["requestId"] == request_id
    assert any(request_id in record.getMessage() and record.exc_info for record in caplog.records)


async def test_security_headers_and_request_id(client) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "abcdef0123456789"})
    assert response.headers["x-request-id"] == "abcdef0123456789"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    forged = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert forged.headers["x-request-id"] != "<script>"


async def test_multipart_without_a_preflight_header_is_refused(client) -> None:
    # A cross-site form may send multipart; only a request that passed a CORS preflight may upload.
    response = await client.post(
        "/graphql", content=b"--x--", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert response.status_code == 400
    assert "preflight" in response.json()["errors"][0]["message"]
