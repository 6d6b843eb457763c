"""Walks every field of `Patient` as the médecin traitant and checks that each
read leaves a journal entry naming what was read. A new field of `Patient`
fails here until it says what its reads are journaled as."""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType

from api.access.models import CareRole
from api.access.service import Access
from api.graphql.ids import encode_id
from api.graphql.schema import build_schema
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from api.messaging.service import Limits, start_thread
from api.plugins import active
from api.reimbursements.importer import import_statements
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries
from tests.reimbursements.helpers import line, write_csv

# Field of Patient -> the object type its read is journaled as; None: refused to professionals.
JOURNALED_AS = {
    "id": "Patient",
    "displayName": "Patient",
    "birthDate": "Patient",
    "careTeam": "CareTeam",
    "accessLog": "AccessLog",
    "accessLogIntegrity": "AccessLogIntegrity",
    "blockedProfessionals": None,
    "accessPreferences": None,
    "connectedApps": None,
    "representatives": None,
    "documents": "Document",
    "profile": "MedicalProfile",
    "document": "Document",
    "fhirExportUrl": None,
    "reimbursements": "Reimbursement",
    "reimbursementSummary": "ReimbursementSummary",
    "agenda": None,  # the patient's side only: not the care team's
    "threads": "Thread",
    "glycemia": "glycemia:Hba1c",
    "vaccinationStatus": "vaccination:VaccinationStatus",
}

SCHEMA = build_schema()._schema
CLAIMS = {"client_id": "test", "jti": "t", "scope": "messages:send"}


def _unwrap(graphql_type):
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def _selection(graphql_type, depth: int = 0) -> str:
    """Every leaf of a type, two levels down, for a query that reads it all."""
    graphql_type = _unwrap(graphql_type)
    if isinstance(graphql_type, (GraphQLScalarType, GraphQLEnumType)):
        return ""
    leaves = []
    for name, field in graphql_type.fields.items():
        inner = _unwrap(field.type)
        required_args = [arg for arg in field.args.values() if isinstance(arg.type, GraphQLNonNull)]
        if required_args:
            continue
        arguments = "(first: 5)" if "first" in field.args else ""
        if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):
            leaves.append(name)
        elif isinstance(inner, GraphQLObjectType) and depth < 3:
            leaves.append(f"{name}{arguments} {{ {_selection(inner, depth + 1) or '__typename'} }}")
    return " ".join(leaves)


def _patient_fields() -> dict[str, str]:
    patient = SCHEMA.type_map["Patient"]
    queries = {}
    for name, field in patient.fields.items():
        arguments = "(first: 5)" if "first" in field.args else ""
        inner = _selection(field.type)
        queries[name] = f"{name}{arguments}" + (f" {{ {inner} }}" if inner else "")
    return queries


# Fields plugins bring, present only when their plugin is enabled.
PLUGIN_FIELDS = {"glycemia": "glycemia", "vaccinationStatus": "vaccination"}
for _field, _plugin in PLUGIN_FIELDS.items():
    if active().named(_plugin) is None:
        del JOURNALED_AS[_field]


def test_every_field_of_patient_says_how_it_is_journaled() -> None:
    assert set(_patient_fields()) == set(JOURNALED_AS)


@pytest.mark.parametrize("field", sorted(JOURNALED_AS))
async def test_a_professional_read_of_each_field_is_journaled(
    gql, database, token_of, contents, tmp_path, field: str
) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    document = await factories.deposit(database, contents, patient)
    report = await import_statements(database, write_csv(tmp_path / "feed.csv", [line(patient.ins)]))
    assert report.imported == 1
    await start_thread(
        Access(principal_for(await find_account(database, str(doctor.account_id)), CLAIMS), database),
        contents,
        patient.person_id,
        subject="Suivi",
        body="Bonjour",
        attachment_ids=[],
        limits=Limits(),
    )
    selection = _patient_fields()[field]
    if field == "document":  # the fields with a required argument
        selection = f'document(id: "{encode_id("Document", document.id)}") {{ id title }}'
    if field == "reimbursementSummary":
        selection = "reimbursementSummary(year: 2026) { chargedCents }"
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Patient {{ {selection} }} }} }}"
    body = await gql(query, {"id": patient.global_id}, token=await token_of(doctor))
    expected = JOURNALED_AS[field]
    logged = {(e.object_type, e.object_id, e.actor_kind) for e in await entries(database, patient.person_id)}
    if expected == "Document":
        assert "errors" not in body, body
        assert (expected, str(document.id), "PROFESSIONAL") in logged
        return
    if expected in ("Reimbursement", "Thread"):
        assert "errors" not in body, body
        assert any(kind == expected and actor == "PROFESSIONAL" for kind, _, actor in logged)
        return
    if expected is None:
        assert error_codes(body) == ["FORBIDDEN"]
        return
    assert "errors" not in body, body
    assert (expected, str(patient.person_id), "PROFESSIONAL") in logged
