"""`espace import`: FHIR R4 Bundles into the spaces they name, idempotent,
whole files or nothing, every refusal with its reason."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import main
from api.dossier.models import Document
from api.interop import codes
from api.interop.importer import import_file, import_path
from api.profile import service as profile
from api.profile.models import Measurement, ProfileEntry
from tests import factories
from tests.dossier.test_search import one_page_pdf
from tests.journal.helpers import entries

SEARCH = """query($id: ID!, $q: String) { patient(id: $id) { documents(first: 20, search: $q) {
  totalCount edges { node { title typeCode author { displayName } } } } } }"""
PROFILE = """query($id: ID!) { patient(id: $id) { profile { allergies { label } conditions { label details }
  vaccinations { label occurredOn } peopleToNotify { label details }
  measurements(first: 10) { edges { node { kind value unit enteredBy } } } } } }"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def bundle_for(
    patient, birth_date: str, rpps: str = "10000000001", *, extra: list[dict] | None = None
) -> dict:
    """A bundle as another system would send it: a lab report inline, a PDF in a
    Binary, a vaccination, an HbA1c, an allergy, a condition, and an author."""
    entries_ = [
        {
            "fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": codes.INS_SYSTEM, "value": patient.ins}],
                "birthDate": birth_date,
                "contact": [{"name": {"text": "Karim Benali"}, "relationship": [{"text": "frère"}]}],
            },
        },
        {
            "fullUrl": "https://lab.example/Practitioner/p1",
            "resource": {
                "resourceType": "Practitioner",
                "id": "p1",
                "identifier": [{"system": codes.IDNPS_SYSTEM, "value": f"8{rpps}"}],
            },
        },
        {
            "fullUrl": "https://lab.example/DocumentReference/d1",
            "resource": {
                "resourceType": "DocumentReference",
                "id": "d1",
                "masterIdentifier": {"system": "urn:oid:1.2.3", "value": "LAB-2026-001"},
                "status": "current",
                "type": {"coding": [{"system": codes.LOINC, "code": "11502-2"}]},
                "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                "date": "2026-10-02T09:30:00+02:00",
                "description": "Hémoglobine glyquée",
                "author": [{"reference": "https://lab.example/Practitioner/p1"}],
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain",
                            "data": b64("HbA1c 7,1 % hémoglobine glyquée".encode()),
                        }
                    }
                ],
                "context": {"period": {"start": "2026-10-01"}},
            },
        },
        {
            "fullUrl": "https://lab.example/Binary/b1",
            "resource": {
                "resourceType": "Binary",
                "id": "b1",
                "contentType": "application/pdf",
                "data": b64(one_page_pdf("Compte rendu de consultation diabétologie")),
            },
        },
        {
            "fullUrl": "https://lab.example/DocumentReference/d2",
            "resource": {
                "resourceType": "DocumentReference",
                "id": "d2",
                "status": "current",
                "type": {"coding": [{"system": codes.LOINC, "code": "11488-4"}]},
                "description": "Consultation diabétologie",
                "securityLabel": [
                    {"coding": [{"system": codes.CONFIDENTIALITY_SYSTEM, "code": "MASQUE_PS"}]}
                ],
                "content": [{"attachment": {"url": "https://lab.example/Binary/b1"}}],
            },
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "id": "i1",
                "status": "completed",
                "vaccineCode": {"coding": [{"system": "urn:oid:1.2.250.1.213.2.3.1", "display": "DTCaP"}]},
                "patient": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                "occurrenceDateTime": "2020-05-04",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"coding": [{"system": codes.LOINC, "code": "4548-4"}]},
                "effectiveDateTime": "2026-10-01T08:00:00+02:00",
                "valueQuantity": {"value": 7.1, "unit": "%", "system": codes.UCUM, "code": "%"},
            }
        },
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "id": "a1",
                "patient": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                "code": {"text": "Pénicilline"},
            }
        },
        {
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                "code": {"text": "Diabète de type 2"},
                "note": [{"text": "Découvert en 2019"}],
                "onsetDateTime": "2019-03-01",
            }
        },
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries_ + (extra or [])}


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


async def _counts(database, patient) -> tuple[int, ...]:
    counts = []
    async with database.read() as connection:
        for table in (Document, ProfileEntry, Measurement):
            query = select(func.count()).select_from(table).where(table.patient_id == patient.person_id)
            counts.append(int(await connection.scalar(query)))
    return tuple(counts)


async def test_a_bundle_is_imported_once_and_reads_like_any_space(
    database, contents, settings, gql, token_of, tmp_path, space
) -> None:
    patient, lab, birth, rpps = space
    extra = [
        {
            "resource": {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "finished",
                "class": {"code": "AMB"},
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "o2",
                "status": "final",
                "code": {"coding": [{"system": codes.LOINC, "code": "718-7"}]},
                "valueQuantity": {"value": 13, "unit": "g/dL"},
            }
        },
        {
            "resource": {
                "resourceType": "DocumentReference",
                "id": "d3",
                "status": "current",
                "type": {"coding": [{"system": codes.LOINC, "code": "00000-0"}]},
                "content": [{"attachment": {"data": b64(b"x")}}],
            }
        },
        {
            "resource": {
                "resourceType": "DocumentReference",
                "id": "d4",
                "status": "current",
                "type": {"coding": [{"system": codes.LOINC, "code": "11502-2"}]},
                "content": [{"attachment": {"url": "https://elsewhere.example/report.pdf"}}],
            }
        },
    ]
    path = write(tmp_path, "lab.json", bundle_for(patient, birth, rpps, extra=extra))
    report = await import_file(
        database, contents, path, max_bytes=settings.upload_max_bytes, max_file_bytes=10**8
    )
    assert report.error is None
    assert report.imported == {"Document": 2, "ProfileEntry": 4, "Measurement": 1}
    refused = dict(report.refused)
    assert set(refused) == {"Encounter/e1", "Observation/o2", "DocumentReference/d3", "DocumentReference/d4"}
    assert "not part of a health space" in refused["Encounter/e1"]
    assert "Unknown document type" in refused["DocumentReference/d3"]
    assert "outside the bundle" in refused["DocumentReference/d4"]

    token = await token_of(patient)
    body = await gql(SEARCH, {"id": patient.global_id, "q": "hemoglobine"}, token=token)
    (found,) = body["data"]["patient"]["documents"]["edges"]
    assert found["node"]["title"] == "Hémoglobine glyquée"
    assert found["node"]["author"]["displayName"] == lab.name  # the author, known by RPPS
    body = await gql(SEARCH, {"id": patient.global_id, "q": "diabetologie"}, token=token)
    assert body["data"]["patient"]["documents"]["totalCount"] == 1  # the PDF's own text, from the Binary
    # The MASQUE_PS label came along: the lab (not its author) no longer sees it.
    body = await gql(SEARCH, {"id": patient.global_id, "q": None}, token=await token_of(lab))
    assert [e["node"]["title"] for e in body["data"]["patient"]["documents"]["edges"]] == [
        "Hémoglobine glyquée"
    ]

    profile_body = (await gql(PROFILE, {"id": patient.global_id}, token=token))["data"]["patient"]["profile"]
    assert profile_body["allergies"] == [{"label": "Pénicilline"}]
    assert profile_body["conditions"] == [{"label": "Diabète de type 2", "details": "Découvert en 2019"}]
    assert profile_body["vaccinations"] == [{"label": "DTCaP", "occurredOn": "2020-05-04"}]
    assert profile_body["peopleToNotify"] == [{"label": "Karim Benali", "details": "frère"}]
    (measurement,) = profile_body["measurements"]["edges"]
    assert measurement["node"] == {"kind": "HBA1C", "value": 7.1, "unit": "%", "enteredBy": "Import FHIR"}

    logged = [(e.action, e.actor_kind) for e in await entries(database, patient.person_id)]
    assert ("IMPORT", "OPERATOR") in logged

    before = await _counts(database, patient)
    again = await import_file(
        database, contents, path, max_bytes=settings.upload_max_bytes, max_file_bytes=10**8
    )
    assert again.imported == {}
    assert again.already == 7
    assert await _counts(database, patient) == before


async def test_an_export_imports_into_another_instance_with_its_versions_and_labels(
    client, database, contents, settings, gql, token_of, tmp_path, space
) -> None:
    """Export a space, then import the file as another system would receive it:
    here, into a second space given the same identity."""
    from tests.interop.test_export import EXPORT_URL, _export

    source, lab, *_ = space
    first = await factories.deposit(
        database, contents, source, by=lab, title="v1", masked_from_professionals=True
    )
    from api.access.service import Access
    from api.dossier import service
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    account = await find_account(database, str(lab.account_id))
    principal = principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:write"})
    request = service.DepositRequest(
        source.person_id, None, "v2", first.type_code, None, False, replaces_id=first.id
    )
    await service.deposit(
        Access(principal, database),
        contents,
        request,
        service.Upload(b"v2", None, None),
        max_bytes=10**6,
    )
    await gql(
        "mutation($input: AddMeasurementInput!) { addMeasurement(input: $input) { userErrors { message } } }",
        {"input": {"patientId": source.global_id, "kind": "WEIGHT", "value": 72.5, "unit": "kg"}},
        token=await token_of(source),
    )
    del EXPORT_URL
    bundle, _ = await _export(client, gql, await token_of(source), source)

    target = await factories.make_patient(database)
    async with database.read() as connection:
        from api.directory.models import Patient

        birth = (
            await connection.execute(select(Patient.birth_date).where(Patient.id == target.person_id))
        ).scalar_one()
    moved = copy.deepcopy(bundle)
    person = next(e["resource"] for e in moved["entry"] if e["resource"]["resourceType"] == "Patient")
    person["identifier"] = [{"system": codes.INS_SYSTEM, "value": target.ins}]
    person["birthDate"] = birth.isoformat()
    report = await import_file(
        database, contents, write(tmp_path, "moved.json", moved), max_bytes=10**6, max_file_bytes=10**8
    )
    assert report.error is None
    assert report.refused == []
    assert report.imported == {"Document": 2, "Measurement": 1}

    async with database.read() as connection:
        rows = (
            await connection.execute(
                select(
                    Document.id,
                    Document.title,
                    Document.status,
                    Document.replaces_id,
                    Document.masked_from_professionals,
                    Document.author_professional_id,
                )
                .where(Document.patient_id == target.person_id)
                .order_by(Document.title)
            )
        ).all()
    (v1, v2) = rows
    assert (v1.title, v1.status, v1.masked_from_professionals) == ("v1", "REPLACED", True)
    assert (v2.title, v2.status, v2.replaces_id) == ("v2", "CURRENT", v1.id)
    assert v1.author_professional_id == lab.person_id


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"resourceType": "Patient"}', "not a FHIR Bundle"),
        (
            json.dumps(
                {
                    "resourceType": "Bundle",
                    "entry": [{"resource": {"resourceType": "Patient", "birthDate": "x"}}],
                }
            ),
            "not a valid FHIR R4 Bundle",
        ),
        ('{"resourceType": "Bundle", "type": "collection", "entry": []}', "exactly one Patient"),
    ],
)
async def test_broken_files_are_refused_whole(database, contents, tmp_path, content, reason) -> None:
    report = await import_file(
        database, contents, write(tmp_path, "broken.json", content), max_bytes=10**6, max_file_bytes=10**8
    )
    assert report.error is not None
    assert reason in report.error
    assert report.imported == {}


async def test_the_wrong_person_is_never_filed(database, contents, tmp_path, space) -> None:
    patient, _, birth, _ = space
    unknown = copy.deepcopy(bundle_for(patient, birth))
    unknown["entry"][0]["resource"]["identifier"][0]["value"] = "1" + patient.ins[1:13] + "00"
    report = await import_file(
        database, contents, write(tmp_path, "a.json", unknown), max_bytes=10**6, max_file_bytes=10**8
    )
    assert "no valid INS" in report.error
    other_birth = "1900-01-01"
    report = await import_file(
        database,
        contents,
        write(tmp_path, "b.json", bundle_for(patient, other_birth)),
        max_bytes=10**6,
        max_file_bytes=10**8,
    )
    assert "identity mismatch" in report.error
    assert await _counts(database, patient) == (0, 0, 0)


async def test_a_crash_mid_file_leaves_nothing(database, contents, tmp_path, space, monkeypatch) -> None:
    patient, _, birth, _ = space

    async def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(profile, "insert_measurement", crash)
    with pytest.raises(RuntimeError):
        await import_file(
            database,
            contents,
            write(tmp_path, "lab.json", bundle_for(patient, birth)),
            max_bytes=10**6,
            max_file_bytes=10**8,
        )
    assert await _counts(database, patient) == (0, 0, 0)


async def test_a_folder_is_imported_file_by_file_with_progress(database, contents, tmp_path, space) -> None:
    patient, _, birth, _ = space
    folder = tmp_path / "bundles"
    folder.mkdir()
    write(folder, "1-good.json", bundle_for(patient, birth))
    write(folder, "2-broken.json", "{")
    write(folder, "notes.txt", "not a bundle")
    seen = []
    reports = await import_path(
        database,
        contents,
        folder,
        max_bytes=10**6,
        max_file_bytes=10**8,
        progress=lambda done, total, path: seen.append((done, total, path.name)),
    )
    assert seen == [(1, 2, "1-good.json"), (2, 2, "2-broken.json")]
    assert [report.error is None for report in reports] == [True, False]


def test_the_command_line_summarizes_and_fails_on_a_refused_file(
    settings, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ESPACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ESPACE_DATABASE_URL", settings.database_url)
    assert main(["import", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    write(tmp_path, "broken.json", "[]")
    assert main(["import", str(tmp_path / "broken.json")]) == 1
    out = capsys.readouterr().out
    assert "refused, nothing imported: not a FHIR Bundle" in out
    assert "0 of 1 file(s) imported." in out
