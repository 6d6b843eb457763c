"""Patient.vaccinationStatus through GraphQL, the deposit hook and the agenda's evidence."""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest
from sqlalchemy import func, select

from api.access.service import Access
from api.agenda.programmes import PROGRAMMES_FILE, programmes
from api.db import new_id
from api.dossier import service as dossier
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from api.plugin_context import HookContext
from api.plugins import HookEvent
from plugins.vaccination.calendar import CALENDAR_FILE
from plugins.vaccination.models import VaccinationRecord
from plugins.vaccination.service import agenda_evidence, on_document_added
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries
from tests.plugins.glycemia import samples as glycemia_samples

STATUS = """query($id: ID!) { patient(id: $id) { vaccinationStatus {
  calendarVersion done { vaccine date source programmeCodes }
  due { programmeCode key title dueDate reason } late { programmeCode key dueDate } } } }"""


def note(*shots: tuple[str, str]) -> bytes:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Immunization",
                        "status": "completed",
                        "vaccineCode": {"text": label},
                        "occurrenceDateTime": day,
                    }
                }
                for label, day in shots
            ],
        }
    ).encode()


async def deposit(*args, **options):
    return await factories.deposit(*args, declared_type="application/octet-stream", **options)


async def deposit_version(database, contents, patient, by, content: bytes, replaces_id=None):
    """An immunization note deposited by `by`, replacing another version or not."""
    return await glycemia_samples.deposit(
        database,
        contents,
        patient,
        by,
        content,
        title="Vaccinations",
        type_code="11369-6",
        replaces_id=replaces_id,
    )


async def run_hook(database, contents, patient, record) -> None:
    event = HookEvent(
        new_id(),
        "dossier.document_added",
        patient.person_id,
        {"documentId": str(record.id), "typeCode": record.type_code},
    )
    async with database.session() as session:
        await on_document_added(event, HookContext("vaccination", await session.connection(), contents))


async def count_records(database, patient) -> int:
    async with database.read() as connection:
        return await connection.scalar(
            select(func.count())
            .select_from(VaccinationRecord)
            .where(VaccinationRecord.patient_id == patient.person_id)
        )


@pytest.fixture
async def care(database):
    patient = await factories.make_patient(database, birth_date=date(1960, 3, 1), sex="M")
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp)
    return patient, gp


def test_the_agenda_reads_its_vaccinations_from_the_plugin_file_only() -> None:
    with PROGRAMMES_FILE.open("rb") as handle:
        core = tomllib.load(handle)
    with CALENDAR_FILE.open("rb") as handle:
        calendar = tomllib.load(handle)
    assert not any(p["kind"] == "VACCINATION" for p in core["programmes"].values())
    vaccinations = {code for code, p in programmes().programmes.items() if p.kind == "VACCINATION"}
    assert vaccinations == set(calendar["programmes"])
    assert {
        "infant-dtcap-hib-hepb",
        "infant-mmr",
        "influenza-vaccination",
        "adult-dtp-boosters",
    } <= vaccinations


async def test_the_toddler_agenda_proposes_the_calendar_vaccinations(gql, token_for) -> None:
    body = await gql(
        "{ patient { agenda(first: 50) { edges { node { kind ruleCode } } } } }",
        token=await token_for("toddler"),
    )
    rules = {
        e["node"]["ruleCode"]
        for e in body["data"]["patient"]["agenda"]["edges"]
        if e["node"]["kind"] == "VACCINATION"
    }
    assert rules & {"infant-dtcap-hib-hepb", "infant-mmr", "infant-menacwy", "infant-menb"}


async def test_a_token_without_the_scope_is_refused(gql, token_of, care) -> None:
    patient, _ = care
    body = await gql(
        STATUS, {"id": patient.global_id}, token=await token_of(patient, scopes=["profile:read"])
    )
    assert body["data"]["patient"]["vaccinationStatus"] is None
    assert error_codes(body) == ["FORBIDDEN"]


async def test_outside_the_care_team_refused_the_patient_allowed(gql, database, token_of, care) -> None:
    patient, _ = care
    outsider = await factories.make_professional(database)
    refused = await gql(STATUS, {"id": patient.global_id}, token=await token_of(outsider))
    assert error_codes(refused) == ["FORBIDDEN"]
    mine = await gql(STATUS, {"id": patient.global_id}, token=await token_of(patient))
    status = mine["data"]["patient"]["vaccinationStatus"]
    assert status["calendarVersion"] == "2025"
    assert "shingles-vaccination-65" in {item["programmeCode"] for item in status["due"] + status["late"]}


async def test_a_note_read_by_the_hook_shows_and_the_read_is_journaled(
    gql, database, contents, token_of, care
) -> None:
    patient, gp = care
    record = await deposit(
        database,
        contents,
        patient,
        by=gp,
        type_code="11369-6",
        title="Vaccinations",
        content=note(("Shingrix", "2025-04-01"), ("Shingrix", "2025-06-03")),
    )
    await run_hook(database, contents, patient, record)
    await run_hook(database, contents, patient, record)  # the event again: nothing more
    assert await count_records(database, patient) == 2
    body = await gql(STATUS, {"id": patient.global_id}, token=await token_of(gp))
    status = body["data"]["patient"]["vaccinationStatus"]
    assert [(d["vaccine"], d["date"], d["source"]) for d in status["done"]] == [
        ("Shingrix", "2025-06-03", "DOCUMENT"),
        ("Shingrix", "2025-04-01", "DOCUMENT"),
    ]
    assert "shingles-vaccination-65" not in {i["programmeCode"] for i in status["due"] + status["late"]}
    logged = {(e.action, e.object_type) for e in await entries(database, patient.person_id)}
    assert ("READ", "vaccination:VaccinationStatus") in logged


async def test_a_masked_note_shows_nothing_to_other_professionals(
    gql, database, contents, token_of, care
) -> None:
    patient, gp = care
    other = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, other)
    record = await deposit(
        database,
        contents,
        patient,
        by=gp,
        type_code="11369-6",
        title="Vaccinations",
        content=note(("Vaxigrip", "2025-10-20")),
        masked_from_professionals=True,
    )
    await run_hook(database, contents, patient, record)
    theirs = await gql(STATUS, {"id": patient.global_id}, token=await token_of(other))
    assert theirs["data"]["patient"]["vaccinationStatus"]["done"] == []
    mine = await gql(STATUS, {"id": patient.global_id}, token=await token_of(patient))
    assert [d["vaccine"] for d in mine["data"]["patient"]["vaccinationStatus"]["done"]] == ["Vaxigrip"]


@pytest.mark.parametrize(
    ("type_code", "content"),
    [
        ("11369-6", b'{"resourceType": "Immunization", "vaccineCode": 3, "occurrenceDateTime": 1}'),
        ("11369-6", b"plain words"),
        ("11502-2", note(("Vaxigrip", "2025-10-20"))),
    ],
)
async def test_unreadable_or_other_documents_record_nothing(
    database, contents, care, type_code, content
) -> None:
    patient, gp = care
    record = await deposit(database, contents, patient, by=gp, type_code=type_code, content=content)
    await run_hook(database, contents, patient, record)
    assert await count_records(database, patient) == 0


async def test_notes_are_agenda_evidence_unless_kept_from_the_patient_side(database, contents, care) -> None:
    patient, gp = care
    seen = await deposit(
        database, contents, patient, by=gp, type_code="11369-6", content=note(("Prevenar 20", "2025-04-01"))
    )
    kept = await deposit(
        database,
        contents,
        patient,
        by=gp,
        type_code="11369-6",
        content=note(("Vaxigrip", "2025-10-20")),
        hidden_from_representatives=True,
    )
    for record in (seen, kept):
        await run_hook(database, contents, patient, record)
    async with database.read() as connection:
        found = list(await agenda_evidence(connection, patient.person_id))
    assert [(item.kind.value, item.label, item.on) for item in found] == [
        ("VACCINATION", "Prevenar 20", date(2025, 4, 1))
    ]


async def test_the_status_reads_in_constant_statements(
    gql, database, contents, token_of, count_statements
) -> None:
    async def statements(n: int) -> int:
        patient = await factories.make_patient(database, birth_date=date(1960, 3, 1))
        gp = await factories.make_professional(database)
        await factories.add_to_care_team(database, patient, gp)
        for index in range(n):
            record = await deposit(
                database,
                contents,
                patient,
                by=gp,
                type_code="11369-6",
                content=note(("Vaxigrip", f"20{10 + index}-10-20"), ("Repevax", f"20{10 + index}-02-01")),
            )
            await run_hook(database, contents, patient, record)
        token = await token_of(gp)
        before = count_statements.count
        body = await gql(STATUS, {"id": patient.global_id}, token=token)
        assert len(body["data"]["patient"]["vaccinationStatus"]["done"]) == 2 * n
        return count_statements.count - before

    assert await statements(1) == await statements(5)


async def test_through_the_relay_a_deposited_note_marks_the_agenda_item_done(
    gql, database, contents, token_of, care
) -> None:
    """The whole path: a deposit writes its event, the relay hands it to the plugin
    after the commit, and both the status and the agenda read the vaccination."""
    from api.hooks import run_hooks
    from plugins.vaccination import plugin

    patient, gp = care
    agenda = """query($id: ID!) { patient(id: $id) {
      agenda(first: 50) { edges { node { ruleCode status } } } } }"""

    def shingles(body) -> set[str]:
        edges = body["data"]["patient"]["agenda"]["edges"]
        return {
            edge["node"]["status"] for edge in edges if edge["node"]["ruleCode"] == "shingles-vaccination-65"
        }

    before = await gql(agenda, {"id": patient.global_id}, token=await token_of(patient))
    assert shingles(before) & {"DUE", "UPCOMING"}
    await deposit(
        database,
        contents,
        patient,
        by=gp,
        type_code="11369-6",
        title="Vaccinations",
        content=note(("Shingrix", "2025-04-01"), ("Shingrix", "2025-06-03")),
    )
    assert await count_records(database, patient) == 0  # nothing inside the deposit's request
    report = await run_hooks(database, contents, plugins=[plugin])
    assert report.handled >= 1
    assert await count_records(database, patient) == 2
    status = await gql(STATUS, {"id": patient.global_id}, token=await token_of(patient))
    assert {d["source"] for d in status["data"]["patient"]["vaccinationStatus"]["done"]} == {"DOCUMENT"}
    after = await gql(agenda, {"id": patient.global_id}, token=await token_of(patient))
    assert shingles(after) == {"DONE"}


async def test_the_patient_deletes_a_note_the_hook_has_read(database, contents, care) -> None:
    patient, gp = care
    record = await deposit(
        database, contents, patient, by=gp, type_code="11369-6", content=note(("Vaxigrip", "2025-10-20"))
    )
    await run_hook(database, contents, patient, record)
    assert await count_records(database, patient) == 1
    account = await find_account(database, str(patient.account_id))
    principal = principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:write"})
    await dossier.delete_document(Access(principal, database), contents, record.id)
    assert await count_records(database, patient) == 0


async def test_a_corrected_note_replaces_the_vaccinations_of_the_one_it_replaces(
    gql, database, contents, token_of, care
) -> None:
    patient, gp = care
    first = await deposit_version(
        database, contents, patient, gp, note(("Vaxigrip", "2025-10-20"), ("Repevax", "2025-02-01"))
    )
    await run_hook(database, contents, patient, first)
    # Corrected twice, both before the relay runs: the middle version is replaced already.
    second = await deposit_version(
        database, contents, patient, gp, note(("Efluelda", "2025-10-20")), first.id
    )
    third = await deposit_version(
        database, contents, patient, gp, note(("Efluelda", "2025-10-21")), replaces_id=second.id
    )
    for record in (second, third, first):  # the first's event replayed late, too
        await run_hook(database, contents, patient, record)
    body = await gql(STATUS, {"id": patient.global_id}, token=await token_of(gp))
    done = body["data"]["patient"]["vaccinationStatus"]["done"]
    assert [(d["vaccine"], d["date"]) for d in done] == [("Efluelda", "2025-10-21")]
    assert await count_records(database, patient) == 1
