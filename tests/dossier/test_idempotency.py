"""Idempotency keys on deposits: a retry never creates a second document."""

from __future__ import annotations

import asyncio

from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import PDF, upload

COUNT = "query($id: ID!) { patient(id: $id) { documents(first: 20) { totalCount } } }"


async def _count(gql, token: str, patient) -> int:
    return (await gql(COUNT, {"id": patient.global_id}, token=token))["data"]["patient"]["documents"][
        "totalCount"
    ]


async def test_the_same_key_returns_the_same_document(client, gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    variables = {
        "patientId": patient.global_id,
        "title": "Bilan",
        "typeCode": "51851-4",
        "idempotencyKey": "retry-1",
    }
    first = (await upload(client, token, variables, PDF)).json()["data"]["depositDocument"]["document"]
    again = (await upload(client, token, variables, PDF)).json()["data"]["depositDocument"]["document"]
    assert again["id"] == first["id"]
    assert await _count(gql, token, patient) == 1
    other = (await upload(client, token, {**variables, "title": "Autre"}, PDF)).json()
    assert other["data"]["depositDocument"]["userErrors"][0]["field"] == ["idempotencyKey"]
    # Keys belong to their principal: another one may use the same words.
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor)
    theirs = (await upload(client, await token_of(doctor), variables, PDF)).json()
    assert theirs["data"]["depositDocument"]["document"]["id"] != first["id"]


async def test_concurrent_retries_create_one_document(client, gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    variables = {
        "patientId": patient.global_id,
        "title": "Bilan",
        "typeCode": "51851-4",
        "idempotencyKey": "burst",
    }
    responses = await asyncio.gather(*(upload(client, token, variables, PDF) for _ in range(6)))
    bodies = [response.json() for response in responses]
    ids = {body["data"]["depositDocument"]["document"]["id"] for body in bodies if not body.get("errors")}
    assert len(ids) == 1
    assert {code for body in bodies for code in error_codes(body)} <= {"CONFLICT"}
    assert await _count(gql, token, patient) == 1
