"""The import at its edges: several sources, versions across files, hostile
input, the wrong person, a closed space, sizes."""

from __future__ import annotations

import copy

from sqlalchemy import select, update

from api.directory.models import Patient
from api.dossier.models import Document
from api.interop import codes
from api.interop.importer import import_file
from api.profile.models import Measurement, ProfileEntry
from tests import factories
from tests.interop.test_import import b64, bundle_for, write

LIMITS = {"max_bytes": 10**6, "max_file_bytes": 10**8}


def observation(resource_id: str, code: str, value: float, unit: str, **extra) -> dict:
    return {
        "resource": {
            "resourceType": "Observation",
            "id": resource_id,
            "status": "final",
            "code": {"coding": [{"system": codes.LOINC, "code": code}]},
            "effectiveDateTime": "2026-10-01T08:00:00+02:00",
            "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
            **extra,
        }
    }


def minimal(patient, birth: str, entries: list[dict]) -> dict:
    head = {
        "fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
        "resource": {
            "resourceType": "Patient",
            "identifier": [{"system": codes.INS_SYSTEM, "value": patient.ins}],
            "birthDate": birth,
        },
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [head, *entries]}


def document(resource_id: str, title: str, *, full_url: str | None = None, **extra) -> dict:
    entry = {
        "resource": {
            "resourceType": "DocumentReference",
            "id": resource_id,
            "status": "current",
            "type": {"coding": [{"system": codes.LOINC, "code": "11502-2"}]},
            "description": title,
            "content": [{"attachment": {"contentType": "text/plain", "data": b64(title.encode())}}],
            **extra,
        }
    }
    if full_url:
        entry["fullUrl"] = full_url
    return entry


async def _titles(database, patient) -> list[tuple[str, str, object]]:
    async with database.read() as connection:
        rows = await connection.execute(
            select(Document.title, Document.status, Document.replaces_id)
            .where(Document.patient_id == patient.person_id)
            .order_by(Document.id)
        )
        return [tuple(row) for row in rows]


async def test_two_sources_with_the_same_ids_both_go_in(database, contents, tmp_path, space) -> None:
    patient, _, birth, _ = space
    lab = minimal(patient, birth, [observation("1", "4548-4", 7.1, "%")])
    clinic = minimal(patient, birth, [observation("1", "29463-7", 72.0, "kg")])
    first = await import_file(database, contents, write(tmp_path, "lab.json", lab), **LIMITS)
    second = await import_file(database, contents, write(tmp_path, "clinic.json", clinic), **LIMITS)
    assert first.imported == {"Measurement": 1}
    assert second.imported == {"Measurement": 1}  # not taken for the lab's "Observation/1"
    async with database.read() as connection:
        kinds = set(
            await connection.scalars(
                select(Measurement.kind).where(Measurement.patient_id == patient.person_id)
            )
        )
    assert kinds == {"HBA1C", "WEIGHT"}


async def test_the_same_resource_twice_in_a_file_is_refused_once(database, contents, tmp_path, space) -> None:
    patient, _, birth, _ = space
    twice = document("d", "Deux fois", full_url="https://lab.example/DocumentReference/d")
    bundle = minimal(patient, birth, [twice, copy.deepcopy(twice)])
    report = await import_file(database, contents, write(tmp_path, "twice.json", bundle), **LIMITS)
    assert report.error is None
    assert report.imported == {"Document": 1}
    assert [reason for _, reason in report.refused] == ["it appears twice in this file"]


async def test_hostile_values_are_refused_not_crashed_on(database, contents, tmp_path, space) -> None:
    patient, _, birth, _ = space
    entries = [
        document("partial", "Date partielle", context={"period": {"start": "2026-05"}}),
        observation("huge", "29463-7", 10**400, "kg"),
        {"resource": {"id": "no-type"}},
        document("future", "Du futur", date="2099-01-01T00:00:00Z"),
        document("two", "Deux contenus", content=[{"attachment": {"data": b64(b"a")}}] * 2),
        observation("other", "4548-4", 7.0, "%", subject={"reference": "Patient/someone-else"}),
    ]
    path = write(tmp_path, "hostile.json", minimal(patient, birth, entries))  # 10**400: a valid FHIR decimal
    report = await import_file(database, contents, path, **LIMITS)
    assert report.error is None, report.error
    refused = dict(report.refused)
    assert set(refused) == {
        "Observation/huge",
        "None/no-type",
        "DocumentReference/future",
        "DocumentReference/two",
        "Observation/other",
    }
    assert report.imported == {"Document": 1}  # the partial date: the first day it can mean
    assert "about someone else" in refused["Observation/other"]
    assert "future" in refused["DocumentReference/future"]
    assert "exactly one" in refused["DocumentReference/two"]
    async with database.read() as connection:
        day = await connection.scalar(
            select(Document.service_date).where(Document.patient_id == patient.person_id)
        )
    assert day.isoformat() == "2026-05-01"


async def test_imported_documents_keep_their_place_in_deposit_order(
    database, contents, tmp_path, space, gql, token_of
) -> None:
    patient, _, birth, _ = space
    await factories.deposit(database, contents, patient, title="Déposé aujourd'hui")
    old = minimal(patient, birth, [document("old", "De 2019", date="2019-01-01T10:00:00Z")])
    await import_file(database, contents, write(tmp_path, "old.json", old), **LIMITS)
    body = await gql(
        "query($id: ID!) { patient(id: $id) { documents(first: 5) { edges { node { title } } } } }",
        {"id": patient.global_id},
        token=await token_of(patient),
    )
    titles = [edge["node"]["title"] for edge in body["data"]["patient"]["documents"]["edges"]]
    assert titles == ["Déposé aujourd'hui", "De 2019"]


async def test_a_new_version_in_a_later_file_replaces_the_one_imported_before(
    database, contents, tmp_path, space
) -> None:
    patient, _, birth, _ = space
    v1 = document("v1", "Version 1", full_url="https://lab.example/DocumentReference/v1")
    v2 = document(
        "v2",
        "Version 2",
        full_url="https://lab.example/DocumentReference/v2",
        relatesTo=[{"code": "replaces", "target": {"reference": "https://lab.example/DocumentReference/v1"}}],
    )
    await import_file(database, contents, write(tmp_path, "1.json", minimal(patient, birth, [v1])), **LIMITS)
    await import_file(database, contents, write(tmp_path, "2.json", minimal(patient, birth, [v2])), **LIMITS)
    (first, second) = await _titles(database, patient)
    assert first[:2] == ("Version 1", "REPLACED")
    assert second[:2] == ("Version 2", "CURRENT")
    async with database.read() as connection:
        first_id = await connection.scalar(
            select(Document.id).where(Document.title == "Version 1", Document.patient_id == patient.person_id)
        )
    assert second[2] == first_id


async def test_a_closed_space_takes_nothing(database, contents, tmp_path, space) -> None:
    patient, _, birth, rpps = space
    async with database.session() as session:
        await session.execute(update(Patient).where(Patient.id == patient.person_id).values(status="CLOSED"))
    report = await import_file(
        database, contents, write(tmp_path, "x.json", bundle_for(patient, birth, rpps)), **LIMITS
    )
    assert "closed" in report.error
    async with database.read() as connection:
        assert (
            await connection.scalar(
                select(ProfileEntry.id).where(ProfileEntry.patient_id == patient.person_id)
            )
            is None
        )


async def test_people_to_notify_are_not_doubled_by_a_second_file(database, contents, tmp_path, space) -> None:
    patient, _, birth, rpps = space
    bundle = bundle_for(patient, birth, rpps)
    await import_file(database, contents, write(tmp_path, "a.json", bundle), **LIMITS)
    again = copy.deepcopy(bundle)
    again["entry"] = again["entry"][:1]  # a different file with the same contact
    report = await import_file(database, contents, write(tmp_path, "b.json", again), **LIMITS)
    assert report.imported == {}
    assert report.already == 1


async def test_a_file_over_the_limit_is_not_read(database, contents, tmp_path, space) -> None:
    patient, _, birth, rpps = space
    path = write(tmp_path, "big.json", bundle_for(patient, birth, rpps))
    report = await import_file(database, contents, path, max_bytes=10**6, max_file_bytes=1_000)
    assert "larger than the 1000" in report.error
