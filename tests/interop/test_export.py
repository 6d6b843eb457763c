"""The whole space as a FHIR R4 Bundle: what the exporter sees, nothing more,
valid FHIR, contents included, and journaled."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle

from api.access.facts import SpaceFacts
from api.access.models import CareRole
from api.access.policy import Action, SpacePart, space_decision
from api.cli import main
from api.db import Database
from api.identity.principal import Principal, PrincipalKind
from api.interop import codes
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries

EXPORT_URL = "query($id: ID!) { node(id: $id) { ... on Patient { fhirExportUrl } } }"
ADD_ENTRY = """mutation($input: AddProfileEntryInput!) { addProfileEntry(input: $input) {
  userErrors { message } } }"""
ADD_MEASUREMENT = """mutation($input: AddMeasurementInput!) { addMeasurement(input: $input) {
  userErrors { message } } }"""


@pytest.fixture
async def space(database, contents, gql, token_of):
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    token = await token_of(patient)
    for kind, label, details in [
        ("CONDITION", "Diabète de type 2", "Depuis 2019"),
        ("ALLERGY", "Pénicilline", None),
        ("VACCINATION", "Grippe saisonnière", None),
        ("TREATMENT", "Metformine 1000 mg", "Matin et soir"),
        ("FAMILY_HISTORY", "Diabète (mère)", None),
        ("ADVANCE_DIRECTIVE", "Pas d'acharnement thérapeutique", "Rédigées le 3 mars"),
        ("PERSON_TO_NOTIFY", "Karim Benali", "frère, 06 12 34 56 78"),
    ]:
        body = await gql(
            ADD_ENTRY,
            {"input": {"patientId": patient.global_id, "kind": kind, "label": label, "details": details}},
            token=token,
        )
        assert body["data"]["addProfileEntry"]["userErrors"] == [], body
    body = await gql(
        ADD_MEASUREMENT,
        {"input": {"patientId": patient.global_id, "kind": "HBA1C", "value": 7.1, "unit": "%"}},
        token=await token_of(doctor),
    )
    assert body["data"]["addMeasurement"]["userErrors"] == [], body
    report = await factories.deposit(database, contents, patient, by=doctor, title="Bilan trimestriel")
    masked = await factories.deposit(
        database,
        contents,
        patient,
        by=doctor,
        title="Consultation",
        content=b"masked",
        masked_from_professionals=True,
    )
    hidden = await factories.deposit(
        database,
        contents,
        patient,
        by=doctor,
        title="Résultat à annoncer",
        content=b"hidden",
        hidden_from_patient=True,
    )
    return patient, doctor, report, masked, hidden


async def _export(client, gql, token: str, patient) -> tuple[dict, object]:
    body = await gql(EXPORT_URL, {"id": patient.global_id}, token=token)
    assert "errors" not in body, body
    url = urlsplit(body["data"]["node"]["fhirExportUrl"])
    response = await client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.text
    return json.loads(response.content), response


def _by_type(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


async def test_the_patient_exports_a_valid_bundle_of_all_they_see(client, gql, token_of, space) -> None:
    patient, doctor, report, masked, hidden = space
    bundle, response = await _export(client, gql, await token_of(patient), patient)
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["cache-control"] == "private, no-store"
    Bundle.model_validate(bundle)  # valid FHIR (R4B, the R4 family fhir.resources carries)
    resources = _by_type(bundle)

    (person,) = resources["Patient"]
    assert person["identifier"] == [{"system": codes.INS_SYSTEM, "value": patient.ins}]
    assert person["contact"][0]["name"] == {"text": "Karim Benali"}

    documents = {resource["description"]: resource for resource in resources["DocumentReference"]}
    assert set(documents) == {"Bilan trimestriel", "Consultation"}  # not what is still hidden from her
    attachment = documents["Bilan trimestriel"]["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == b"HbA1c 7.1 %, hemoglobine glyquee en baisse."
    assert documents["Bilan trimestriel"]["type"]["coding"][0]["code"] == report.type_code
    assert documents["Bilan trimestriel"]["author"][0] == {"reference": f"urn:uuid:{doctor.person_id}"}
    assert documents["Consultation"]["securityLabel"] == [
        {"coding": [{"system": codes.CONFIDENTIALITY_SYSTEM, "code": "MASQUE_PS"}]}
    ]
    assert "securityLabel" not in documents["Bilan trimestriel"]
    assert {str(masked.id), str(report.id)} == {documents[t]["id"] for t in documents}
    assert str(hidden.id) not in json.dumps(bundle)
    (practitioner,) = resources["Practitioner"]
    assert practitioner["id"] == str(doctor.person_id)

    (observation,) = resources["Observation"]
    assert observation["code"]["coding"][0]["code"] == "4548-4"
    assert observation["valueQuantity"] == {"value": 7.1, "unit": "%", "system": codes.UCUM, "code": "%"}
    assert resources["Condition"][0]["code"] == {"text": "Diabète de type 2"}
    assert resources["Condition"][0]["note"][0]["text"] == "Depuis 2019"
    assert resources["AllergyIntolerance"][0]["code"] == {"text": "Pénicilline"}
    assert resources["Immunization"][0]["vaccineCode"] == {"text": "Grippe saisonnière"}
    assert resources["MedicationStatement"][0]["medicationCodeableConcept"] == {"text": "Metformine 1000 mg"}
    assert resources["FamilyMemberHistory"][0]["condition"][0]["code"] == {"text": "Diabète (mère)"}
    consent = resources["Consent"][0]
    assert base64.b64decode(consent["sourceAttachment"]["data"]).decode().startswith("Pas d'acharnement")


async def test_a_new_version_points_to_the_one_it_replaces(client, gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    first = await factories.deposit(database, contents, patient, title="v1")
    token = await token_of(patient)
    from api.access.service import Access
    from api.dossier import service
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    account = await find_account(database, str(patient.account_id))
    principal = principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:write"})
    request = service.DepositRequest(
        patient_id=patient.person_id,
        patient_ins=None,
        title="v2",
        type_code=first.type_code,
        service_date=None,
        hidden_from_patient=False,
        replaces_id=first.id,
    )
    second = await service.deposit(
        Access(principal, database), contents, request, service.Upload(b"v2", None, None), max_bytes=10**6
    )
    bundle, _ = await _export(client, gql, token, patient)
    documents = {resource["id"]: resource for resource in _by_type(bundle)["DocumentReference"]}
    assert documents[str(first.id)]["status"] == "superseded"
    assert documents[str(second.id)]["status"] == "current"
    assert documents[str(second.id)]["relatesTo"] == [
        {"code": "replaces", "target": {"reference": f"urn:uuid:{first.id}"}}
    ]


async def test_a_legal_representative_exports_without_what_is_hidden_from_them(
    client, gql, database, contents, token_of
) -> None:
    child, parent = await factories.make_patient(database), await factories.make_patient(database)
    await factories.represent(database, child, parent)
    await factories.deposit(database, contents, child, title="Vaccins")
    await factories.deposit(database, contents, child, title="Secret", hidden_from_representatives=True)
    bundle, _ = await _export(client, gql, await token_of(parent, acting_for=child.person_id), child)
    assert [d["description"] for d in _by_type(bundle)["DocumentReference"]] == ["Vaccins"]
    logged = [(e.action, e.object_type, e.actor_kind) for e in await entries(database, child.person_id)]
    assert ("EXPORT", "Patient", "REPRESENTATIVE") in logged


async def test_only_the_patient_side_exports(gql, database, token_of, space) -> None:
    patient, doctor, *_ = space
    caregiver = await factories.make_patient(database)
    await factories.represent(database, patient, caregiver, kind="CAREGIVER", parts="DOCUMENTS PROFILE")
    for token in (
        await token_of(doctor),
        await token_of(caregiver, acting_for=patient.person_id),
        await token_of(patient, scopes={"documents:read"}),  # the profile is in the export too
    ):
        body = await gql(EXPORT_URL, {"id": patient.global_id}, token=token)
        assert error_codes(body) == ["FORBIDDEN"], body
        assert body["data"]["node"] == {"fhirExportUrl": None}


def test_catalogue_apps_never_export() -> None:
    patient_id = uuid.uuid4()
    app = Principal(
        kind=PrincipalKind.APP,
        account_id=patient_id,
        display_name="Carnet",
        client_id="carnet",
        scopes=frozenset({"documents:read", "profile:read"}),
        token_id="t",
        patient_id=patient_id,
        acting_for=patient_id,
        app_name="Carnet",
    )
    facts = SpaceFacts(patient_id=patient_id, exists=True, open=True, is_self=True)
    now = datetime.now(UTC)
    assert space_decision(app, facts, Action.READ, SpacePart.DOCUMENTS, now).allowed
    assert not space_decision(app, facts, Action.EXPORT, SpacePart.DOCUMENTS, now).allowed


async def test_bad_and_borrowed_links_are_refused(client, gql, database, token_of, space) -> None:
    patient, *_ = space
    other = await factories.make_patient(database)
    body = await gql(EXPORT_URL, {"id": patient.global_id}, token=await token_of(patient))
    url = urlsplit(body["data"]["node"]["fhirExportUrl"])
    assert (await client.get(url.path)).status_code == 401
    assert (await client.get(f"{url.path}?link=garbage")).status_code == 401
    assert (await client.get(f"/patients/{other.person_id}/fhir-export?{url.query}")).status_code == 401
    assert (await client.get(f"/patients/not-an-id/fhir-export?{url.query}")).status_code == 404
    # A content link is not an export link.
    assert (await client.get(f"/documents/{patient.person_id}/content?{url.query}")).status_code == 401


async def test_a_space_closed_since_the_link_was_made_is_not_exported(
    client, gql, database, token_of, space
) -> None:
    patient, *_ = space
    body = await gql(EXPORT_URL, {"id": patient.global_id}, token=await token_of(patient))
    url = urlsplit(body["data"]["node"]["fhirExportUrl"])
    from sqlalchemy import update

    from api.directory.models import Patient

    async with database.session() as session:
        await session.execute(update(Patient).where(Patient.id == patient.person_id).values(status="CLOSED"))
    response = await client.get(f"{url.path}?{url.query}")
    assert response.status_code == 403


def _journal_of(settings, patient_id: uuid.UUID) -> list:
    async def read() -> list:
        database = Database(settings)
        try:
            return await entries(database, patient_id)
        finally:
            await database.dispose()

    return asyncio.run(read())


def test_the_command_line_exports_to_a_file_and_journals_it(
    database, settings, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ESPACE_DATABASE_URL", settings.database_url)
    output = tmp_path / "nadia.json"
    assert main(["export", "--patient", "nadia", "--output", str(output)]) == 0
    assert "Nadia Benali" in capsys.readouterr().out
    bundle = json.loads(output.read_text())
    Bundle.model_validate(bundle)
    person = _by_type(bundle)["Patient"][0]
    logged = _journal_of(settings, uuid.UUID(person["id"]))
    assert ("EXPORT", "OPERATOR") in {(e.action, e.actor_kind) for e in logged}
    assert not list(tmp_path.glob(".*partial"))

    # The same patient by INS, to stdout.
    assert main(["export", "--patient", person["identifier"][0]["value"]]) == 0
    assert json.loads(capsys.readouterr().out)["entry"][0]["resource"]["id"] == person["id"]

    assert main(["export", "--patient", "nobody-at-all", "--output", str(tmp_path / "x.json")]) == 2
    assert "no patient" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_the_command_line_wants_a_migrated_database(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ESPACE_DATABASE_URL", raising=False)
    assert main(["export", "--patient", "nadia"]) == 2
    assert "espace migrate" in capsys.readouterr().err


def test_the_command_line_refuses_a_closed_space(settings, tmp_path, monkeypatch, capsys) -> None:
    from sqlalchemy import update

    from api.directory.models import Patient

    async def closed_patient() -> str:
        database = Database(settings)
        try:
            patient = await factories.make_patient(database)
            async with database.session() as session:
                await session.execute(
                    update(Patient).where(Patient.id == patient.person_id).values(status="CLOSED")
                )
            return patient.ins
        finally:
            await database.dispose()

    ins = asyncio.run(closed_patient())
    monkeypatch.setenv("ESPACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ESPACE_DATABASE_URL", settings.database_url)
    assert main(["export", "--patient", ins, "--output", str(tmp_path / "closed.json")]) == 2
    assert "no export" in capsys.readouterr().err
    assert not (tmp_path / "closed.json").exists()
