"""Holes found by review, each held shut by a test."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from api.db import utcnow
from api.dossier.models import DepositIdempotencyKey
from api.graphql.ids import encode_id
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import PDF, upload

COUNT = "query($id: ID!) { patient(id: $id) { documents(first: 20) { totalCount } } }"


async def test_a_new_version_keeps_the_patients_mask(client, gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    author, colleague = (
        await factories.make_professional(database),
        await factories.make_professional(database),
    )
    for professional in (author, colleague):
        await factories.add_to_care_team(database, patient, professional)
    first = await factories.deposit(
        database, contents, patient, by=author, title="v1", masked_from_professionals=True
    )
    variables = {
        "patientId": patient.global_id,
        "title": "v2",
        "typeCode": "11502-2",
        "replacesId": encode_id("Document", first.id),
    }
    body = (await upload(client, await token_of(author), variables, PDF)).json()
    assert body["data"]["depositDocument"]["document"]["visibility"]["hiddenFromPatient"] is False
    count = await gql(COUNT, {"id": patient.global_id}, token=await token_of(colleague))
    assert count["data"]["patient"]["documents"]["totalCount"] == 0


async def test_an_idempotent_replay_answers_like_a_read(client, gql, database, contents, token_of) -> None:
    child, parent = await factories.make_patient(database), await factories.make_patient(database)
    await factories.represent(database, child, parent)
    variables = {
        "patientId": child.global_id,
        "title": "Consultation",
        "typeCode": "51851-4",
        "idempotencyKey": "k-1",
    }
    body = (await upload(client, await token_of(parent), variables, PDF)).json()
    document_id = body["data"]["depositDocument"]["document"]["id"]
    hide = """mutation($id: ID!) {
      setDocumentVisibility(input: {documentId: $id, hiddenFromRepresentatives: true}) {
      userErrors { message } } }"""
    assert (await gql(hide, {"id": document_id}, token=await token_of(child)))["data"][
        "setDocumentVisibility"
    ]["userErrors"] == []
    replay = (await upload(client, await token_of(parent), variables, PDF)).json()
    assert error_codes(replay) == ["NOT_FOUND"]


async def test_a_write_only_token_reads_nothing_through_replaces(
    client, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    first = await factories.deposit(database, contents, patient, title="secret words")
    token = await token_of(patient, scopes={"documents:write"})
    operations = {
        "query": """mutation($input: DepositDocumentInput!) { depositDocument(input: $input) {
          document { contentUrl replaces { title contentUrl } } } }""",
        "variables": {
            "input": {
                "patientId": patient.global_id,
                "title": "v2",
                "typeCode": "51851-4",
                "replacesId": encode_id("Document", first.id),
                "file": None,
            }
        },
    }
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": ("x.pdf", PDF, "application/pdf")},
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    body = response.json()
    assert body["data"]["depositDocument"]["document"] == {"contentUrl": None, "replaces": None}
    assert sorted(error["path"][-1] for error in body["errors"]) == ["contentUrl", "replaces"]
    assert error_codes(body) == ["FORBIDDEN", "FORBIDDEN"]


async def test_an_expired_idempotency_key_can_be_used_again(client, gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    variables = {
        "patientId": patient.global_id,
        "title": "Bilan",
        "typeCode": "51851-4",
        "idempotencyKey": "daily",
    }
    first = (await upload(client, token, variables, PDF)).json()["data"]["depositDocument"]["document"]["id"]
    async with database.session() as session:
        await session.execute(
            update(DepositIdempotencyKey)
            .where(DepositIdempotencyKey.key == "daily")
            .values(created_at=utcnow() - timedelta(days=2))
        )
    second = (await upload(client, token, variables, PDF)).json()
    assert second["data"]["depositDocument"]["document"]["id"] != first


@pytest.mark.parametrize(
    "content",
    [
        b'{"resourceType":"Observation","a":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"%PDF-1.4\n1 0 obj << >> endobj\n"
        b"trailer << /Root 1 0 R /Encrypt << /Filter /Other /V 9 >> >>\n%%EOF\n",
    ],
)
async def test_hostile_files_are_refused_or_stored_never_a_crash(client, database, token_of, content) -> None:
    patient = await factories.make_patient(database)
    variables = {"patientId": patient.global_id, "title": "Fichier", "typeCode": "51851-4"}
    body = (await upload(client, await token_of(patient), variables, content)).json()
    assert "INTERNAL_SERVER_ERROR" not in json.dumps(body)


async def test_a_file_that_is_not_an_upload_is_a_user_error(client, database, token_of) -> None:
    patient = await factories.make_patient(database)
    query = """mutation($input: DepositDocumentInput!) {
      depositDocument(input: $input) { userErrors { field } } }"""
    variables = {
        "input": {"patientId": patient.global_id, "title": "x", "typeCode": "51851-4", "file": "hello"}
    }
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {await token_of(patient)}"},
    )
    assert response.json()["data"]["depositDocument"]["userErrors"] == [{"field": ["file"]}]


@pytest.mark.parametrize("payload", [b'"x"', b"5", b"null"])
async def test_json_bodies_that_are_not_objects_are_400(client, payload: bytes) -> None:
    response = await client.post("/graphql", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    ("operations", "mapping"),
    [
        ({"query": "{ viewer { kind } }", "variables": {}}, ["x"]),
        ({"query": "{ viewer { kind } }", "variables": {"a": 1}}, {"0": ["variables.a.b"]}),
        ('"just a string"', {"0": ["variables.file"]}),
    ],
)
async def test_malformed_multipart_bodies_are_400(client, operations, mapping) -> None:
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={"0": ("x.txt", b"x", "text/plain")},
        headers={"GraphQL-Preflight": "1"},
    )
    assert 400 <= response.status_code < 500
