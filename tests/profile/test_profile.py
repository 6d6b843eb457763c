"""The medical profile: who reads and writes it, units, journal."""

from __future__ import annotations

import pytest

from api.access.models import CareRole
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries

PROFILE = """query($id: ID!) { patient(id: $id) { profile {
  allergies { label enteredBy } conditions { label } treatments { label } vaccinations { label occurredOn }
  measurements(first: 10) { edges { node { kind value unit enteredBy } } } } } }"""
ENTRY = """mutation($input: AddProfileEntryInput!) { addProfileEntry(input: $input) {
  profileEntry { kind label } userErrors { field message } } }"""
MEASURE = """mutation($input: AddMeasurementInput!) { addMeasurement(input: $input) {
  measurement { kind value unit } userErrors { field message } } }"""


@pytest.fixture
async def care(database):
    patient = await factories.make_patient(database)
    nurse = await factories.make_professional(database, profession="nurse")
    await factories.add_to_care_team(database, patient, nurse, CareRole.DECLARED_BY_PATIENT)
    return patient, nurse


async def test_the_patient_and_the_care_team_write_and_read_the_profile(
    gql, database, token_of, care
) -> None:
    patient, nurse = care
    mine = await gql(
        ENTRY,
        {"input": {"patientId": patient.global_id, "kind": "ALLERGY", "label": "Pénicilline"}},
        token=await token_of(patient),
    )
    assert mine["data"]["addProfileEntry"]["userErrors"] == []
    theirs = await gql(
        MEASURE,
        {"input": {"patientId": patient.global_id, "kind": "HBA1C", "value": 7.1, "unit": "%"}},
        token=await token_of(nurse),
    )
    assert theirs["data"]["addMeasurement"]["measurement"] == {"kind": "HBA1C", "value": 7.1, "unit": "%"}
    body = await gql(PROFILE, {"id": patient.global_id}, token=await token_of(nurse))
    profile = body["data"]["patient"]["profile"]
    assert profile["allergies"][0]["label"] == "Pénicilline"
    assert profile["measurements"]["edges"][0]["node"]["enteredBy"] == nurse.name
    logged = {(e.action, e.object_type) for e in await entries(database, patient.person_id)}
    assert {("CREATE", "Measurement"), ("READ", "MedicalProfile"), ("READ", "Measurements")} <= logged


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"kind": "HBA1C", "value": 7.1, "unit": "mmol/mol"}, "unit"),
        ({"kind": "WEIGHT", "value": 4000, "unit": "kg"}, "value"),
        ({"kind": "GLYCEMIA", "value": -1, "unit": "g/L"}, "value"),
        (
            {"kind": "WEIGHT", "value": 70, "unit": "kg", "measuredAt": "2999-01-01T00:00:00+00:00"},
            "measuredAt",
        ),
    ],
)
async def test_implausible_measurements_are_user_errors(gql, token_of, care, variables, field) -> None:
    patient, _ = care
    body = await gql(
        MEASURE, {"input": {"patientId": patient.global_id, **variables}}, token=await token_of(patient)
    )
    assert body["data"]["addMeasurement"]["userErrors"][0]["field"] == [field]


async def test_bad_entries_are_user_errors(gql, token_of, care) -> None:
    patient, _ = care
    for variables, field in (
        ({"label": "  "}, "label"),
        ({"label": "x", "occurredOn": "2999-01-01"}, "occurredOn"),
    ):
        body = await gql(
            ENTRY,
            {"input": {"patientId": patient.global_id, "kind": "CONDITION", **variables}},
            token=await token_of(patient),
        )
        assert body["data"]["addProfileEntry"]["userErrors"][0]["field"] == [field]


async def test_outsiders_caregivers_and_read_only_tokens_do_not_write(gql, database, token_of, care) -> None:
    patient, _ = care
    outsider = await factories.make_professional(database)
    variables = {"input": {"patientId": patient.global_id, "kind": "CONDITION", "label": "Diabète"}}
    assert error_codes(await gql(ENTRY, variables, token=await token_of(outsider))) == ["FORBIDDEN"]
    assert error_codes(await gql(PROFILE, {"id": patient.global_id}, token=await token_of(outsider))) == [
        "FORBIDDEN"
    ]
    reader = await token_of(patient, scopes={"profile:read"})
    assert error_codes(await gql(ENTRY, variables, token=reader)) == ["FORBIDDEN"]
    daughter = await factories.make_patient(database)
    from datetime import timedelta

    from api.db import utcnow

    await factories.represent(
        database,
        patient,
        daughter,
        kind="CAREGIVER",
        parts="PROFILE",
        expires_at=utcnow() + timedelta(days=9),
    )
    assert "errors" not in await gql(PROFILE, {"id": patient.global_id}, token=await token_of(daughter))
    assert error_codes(await gql(ENTRY, variables, token=await token_of(daughter))) == ["FORBIDDEN"]
