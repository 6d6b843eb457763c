"""The glycemia plugin in the app, on both databases: the hook reads lab
results once, `Patient.glycemia` merges them with the profile for those who
may see them, the care team sets the target, every guard holds."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from api.access.models import CareRole
from api.dossier.models import Document
from api.graphql.ids import encode_id
from api.hooks import run_hooks
from api.timezones import paris_today
from plugins.glycemia import store
from plugins.glycemia.models import LabReading, Target
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import upload
from tests.journal.helpers import entries
from tests.plugins.glycemia.samples import cda, deposit, fhir, observation, run_hook

GLYCEMIA = """query($id: ID!, $last: Int!) { patient(id: $id) { glycemia {
  hba1c(last: $last) { value unit date source documentId outOfTarget }
  target { maxPercent setBy setAt } trend } } }"""
SET_TARGET = """mutation($input: SetGlycemiaTargetInput!) { setGlycemiaTarget(input: $input) {
  target { maxPercent setBy } userErrors { field message code } } }"""
ADD_MEASUREMENT = """mutation($input: AddMeasurementInput!) { addMeasurement(input: $input) {
  measurement { id } userErrors { field message } } }"""


def day(days_ago: int) -> str:
    return (paris_today() - timedelta(days=days_ago)).strftime("%Y%m%d")


@pytest.fixture
async def team(database):
    """A patient like Nadia, her GP (médecin traitant), a laboratory biologist and a nurse of her team."""
    patient = await factories.make_patient(database)
    gp, lab, nurse = [await factories.make_professional(database) for _ in range(3)]
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, lab)
    await factories.add_to_care_team(database, patient, nurse)
    return patient, gp, lab, nurse


async def _glycemia(gql, patient, token, last: int = 4) -> dict:
    body = await gql(GLYCEMIA, {"id": patient.global_id, "last": last}, token=token)
    assert "errors" not in body, body
    return body["data"]["patient"]["glycemia"]


async def _readings_of(database, document_id) -> int:
    async with database.read() as connection:
        return await connection.scalar(
            select(func.count()).select_from(LabReading).where(LabReading.document_id == document_id)
        )


async def test_a_cda_lab_report_gives_one_reading_however_often_its_event_runs(
    database, contents, gql, token_of, team
) -> None:
    patient, _, lab, _ = team
    record = await deposit(database, contents, patient, lab, cda(("7.4", "%", day(3))))
    await run_hook(database, contents, record)
    await run_hook(database, contents, record)  # the same event again (a relay retry)
    assert await _readings_of(database, record.id) == 1
    found = await _glycemia(gql, patient, await token_of(patient))
    assert found["hba1c"] == [
        {
            "value": 7.4,
            "unit": "%",
            "date": (paris_today() - timedelta(days=3)).isoformat(),
            "source": "LAB_RESULT",
            "documentId": encode_id("Document", record.id),
            "outOfTarget": None,
        }
    ]
    assert (found["target"], found["trend"]) == (None, None)


async def test_a_lab_report_deposited_through_graphql_shows_once_the_hooks_ran(
    client, database, contents, gql, token_of, team
) -> None:
    patient, gp, lab, _ = team
    variables = {"patientId": patient.global_id, "title": "Bilan biologique", "typeCode": "11502-2"}
    response = await upload(client, await token_of(lab), variables, cda(("6.9", "%", day(4))), name="r.xml")
    document = response.json()["data"]["depositDocument"]["document"]
    assert document["mimeType"] == "application/hl7-cda+xml"
    assert (await _glycemia(gql, patient, await token_of(gp)))["hba1c"] == []  # not before the hooks
    await run_hooks(database, contents)
    found = await _glycemia(gql, patient, await token_of(gp))
    assert [(r["value"], r["source"], r["documentId"]) for r in found["hba1c"]] == [
        (6.9, "LAB_RESULT", document["id"])
    ]


async def test_a_corrected_result_withdraws_the_values_of_the_version_it_replaces(
    database, contents, gql, token_of, team
) -> None:
    patient, _, lab, _ = team
    first = await deposit(database, contents, patient, lab, cda(("7.9", "%", day(3))))
    await run_hook(database, contents, first)
    second = await deposit(database, contents, patient, lab, cda(("7.4", "%", day(3))), replaces_id=first.id)
    await run_hook(database, contents, second)
    await run_hook(database, contents, first)  # the old version's event, replayed late
    found = await _glycemia(gql, patient, await token_of(patient))
    assert [(r["value"], r["documentId"]) for r in found["hba1c"]] == [
        (7.4, encode_id("Document", second.id))
    ]


async def test_a_version_replaced_before_its_event_still_withdraws_the_one_it_replaced(
    database, contents, gql, token_of, team
) -> None:
    patient, _, lab, _ = team
    first = await deposit(database, contents, patient, lab, cda(("7.9", "%", day(3))))
    await run_hook(database, contents, first)
    # Two corrections in a row, both deposited before the relay runs.
    second = await deposit(database, contents, patient, lab, cda(("7.6", "%", day(3))), replaces_id=first.id)
    third = await deposit(database, contents, patient, lab, cda(("7.4", "%", day(3))), replaces_id=second.id)
    await run_hook(database, contents, second)  # already replaced: withdraws the first all the same
    await run_hook(database, contents, third)
    assert await _readings_of(database, first.id) == 0
    assert await _readings_of(database, second.id) == 0
    found = await _glycemia(gql, patient, await token_of(patient))
    assert [(r["value"], r["documentId"]) for r in found["hba1c"]] == [(7.4, encode_id("Document", third.id))]


async def test_a_fhir_bundle_is_read_too(database, contents, gql, token_of, team) -> None:
    patient, _, lab, _ = team
    bundle = fhir(observation(7.9, when=None), observation(53, "mmol/mol", when="2026-06-01"))
    record = await deposit(database, contents, patient, lab, bundle)
    await run_hook(database, contents, record)
    found = await _glycemia(gql, patient, await token_of(patient))
    # Without its own date, an observation takes the document's day (deposited today).
    assert [(r["value"], r["date"]) for r in found["hba1c"]] == [
        (7.9, paris_today().isoformat()),
        (7.0, "2026-06-01"),
    ]
    assert found["trend"] == "RISING"


async def test_malformed_or_unrelated_documents_give_no_reading_and_no_error(
    database, contents, team, caplog
) -> None:
    patient, _, lab, _ = team
    broken = await deposit(
        database,
        contents,
        patient,
        lab,
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><open></ClinicalDocument>',
    )
    bad_json = await deposit(database, contents, patient, lab, b'{"resourceType": "Observation", "code": 3}')
    consultation = await deposit(
        database, contents, patient, lab, cda(("7.4", "%", day(3))), type_code="11488-4"
    )
    text = await deposit(database, contents, patient, lab, b"HbA1c : 7,4 %")
    with caplog.at_level(logging.INFO, logger="plugins.glycemia"):
        for record in (broken, bad_json, consultation, text):
            await run_hook(database, contents, record)  # no exception: the event is acknowledged
    for record in (broken, bad_json, consultation, text):
        assert await _readings_of(database, record.id) == 0
    assert any("no HbA1c read" in message for message in caplog.messages)


async def test_profile_and_lab_readings_merge_with_the_target_and_the_trend(
    database, contents, gql, token_of, team
) -> None:
    patient, gp, lab, _ = team
    patient_token = await token_of(patient)
    measured_at = datetime.now(UTC) - timedelta(days=100)
    body = await gql(
        ADD_MEASUREMENT,
        {
            "input": {
                "patientId": patient.global_id,
                "kind": "HBA1C",
                "value": 6.8,
                "unit": "%",
                "measuredAt": measured_at.isoformat(),
            }
        },
        token=patient_token,
    )
    assert body["data"]["addMeasurement"]["userErrors"] == []
    record = await deposit(database, contents, patient, lab, cda(("7.4", "%", day(5))))
    await run_hook(database, contents, record)
    found = await _glycemia(gql, patient, patient_token)
    assert [(r["value"], r["source"]) for r in found["hba1c"]] == [(7.4, "LAB_RESULT"), (6.8, "PROFILE")]
    assert found["trend"] == "RISING"

    body = await gql(
        SET_TARGET, {"input": {"patientId": patient.global_id, "maxPercent": 7.0}}, token=await token_of(gp)
    )
    assert body["data"]["setGlycemiaTarget"] == {
        "target": {"maxPercent": 7.0, "setBy": gp.name},
        "userErrors": [],
    }
    found = await _glycemia(gql, patient, patient_token)
    assert [r["outOfTarget"] for r in found["hba1c"]] == [True, False]
    assert found["target"]["setBy"] == gp.name
    assert [r["value"] for r in (await _glycemia(gql, patient, patient_token, last=1))["hba1c"]] == [7.4]
    logged = {(e.object_type, e.action, e.actor_kind) for e in await entries(database, patient.person_id)}
    assert ("glycemia:Hba1cTarget", "CREATE", "PROFESSIONAL") in logged


async def test_the_scope_guards_the_field(gql, token_of, team) -> None:
    patient, gp, _, _ = team
    for who in (patient, gp):
        token = await token_of(who, scopes=["profile:read", "documents:read"])
        body = await gql(GLYCEMIA, {"id": patient.global_id, "last": 4}, token=token)
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"]["patient"]["glycemia"] is None


async def test_the_policy_decides_who_reads_and_professionals_reads_are_journaled(
    database, gql, token_of, team
) -> None:
    patient, gp, _, _ = team
    outsider = await factories.make_professional(database)
    body = await gql(GLYCEMIA, {"id": patient.global_id, "last": 4}, token=await token_of(outsider))
    assert error_codes(body) == ["FORBIDDEN"]
    await _glycemia(gql, patient, await token_of(patient))
    await _glycemia(gql, patient, await token_of(gp))
    logged = [(e.object_type, e.object_id, e.actor_kind) for e in await entries(database, patient.person_id)]
    assert ("glycemia:Hba1c", str(patient.person_id), "PROFESSIONAL") in logged
    assert not any(kind == "PATIENT" for _, _, kind in logged)  # the patient's own reads are not


async def test_readings_of_a_document_show_only_to_those_who_may_see_it(
    database, contents, gql, token_of, team
) -> None:
    patient, gp, lab, nurse = team
    masked = await deposit(database, contents, patient, lab, cda(("8.1", "%", day(2))))
    hidden = await deposit(database, contents, patient, lab, cda(("9.2", "%", day(1))))
    for record in (masked, hidden):
        await run_hook(database, contents, record)
    async with database.session() as session:
        await session.execute(
            update(Document).where(Document.id == masked.id).values(masked_from_professionals=True)
        )
        await session.execute(
            update(Document).where(Document.id == hidden.id).values(hidden_from_patient=True)
        )

    def values(found: dict) -> list[float]:
        return [r["value"] for r in found["hba1c"]]

    assert values(await _glycemia(gql, patient, await token_of(patient))) == [8.1]
    assert values(await _glycemia(gql, patient, await token_of(nurse))) == [9.2]
    assert values(await _glycemia(gql, patient, await token_of(gp))) == [9.2, 8.1]  # the médecin traitant


@pytest.mark.parametrize("last", [0, 51])
async def test_last_out_of_bounds_is_bad_user_input(gql, token_of, team, last: int) -> None:
    patient, _, _, _ = team
    body = await gql(GLYCEMIA, {"id": patient.global_id, "last": last}, token=await token_of(patient))
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def _target(database, patient) -> float | None:
    async with database.read() as connection:
        return await connection.scalar(
            select(Target.max_percent).where(Target.patient_id == patient.person_id)
        )


async def test_only_the_care_team_sets_a_target_within_bounds(database, gql, token_of, team) -> None:
    patient, gp, _, nurse = team
    outsider = await factories.make_professional(database)

    async def set_target(who, value: float, **options) -> dict:
        token = await token_of(who, **options)
        return await gql(
            SET_TARGET, {"input": {"patientId": patient.global_id, "maxPercent": value}}, token=token
        )

    for value in (4.9, 12.5):
        body = await set_target(gp, value)
        assert body["data"]["setGlycemiaTarget"]["target"] is None
        assert body["data"]["setGlycemiaTarget"]["userErrors"][0]["field"] == ["maxPercent"]
    for refused in (
        await set_target(patient, 7.0),  # the patient's side does not set their own clinical target
        await set_target(outsider, 7.0),
        await set_target(gp, 7.0, scopes=["profile:write"]),  # without glycemia:write
    ):
        assert error_codes(refused) == ["FORBIDDEN"], refused
    assert await _target(database, patient) is None  # nothing was written
    assert (await set_target(nurse, 7.5))["data"]["setGlycemiaTarget"]["userErrors"] == []
    assert (await set_target(gp, 6.5))["data"]["setGlycemiaTarget"]["target"]["maxPercent"] == 6.5
    assert await _target(database, patient) == 6.5
    logged = [(e.object_type, e.action) for e in await entries(database, patient.person_id)]
    assert ("glycemia:Hba1cTarget", "UPDATE") in logged


async def test_a_bad_patient_id_is_a_user_error_on_patient_id(gql, token_of, team) -> None:
    _, gp, _, _ = team
    token = await token_of(gp)
    for bad in ("not-an-id", encode_id("Document", uuid.uuid4())):
        body = await gql(SET_TARGET, {"input": {"patientId": bad, "maxPercent": 7.0}}, token=token)
        assert "errors" not in body, body
        payload = body["data"]["setGlycemiaTarget"]
        assert payload["target"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["patientId"], "BAD_USER_INPUT")]


@pytest.mark.parametrize(("value", "stored"), [(4.96, 5.0), (12.04, 12.0)])
async def test_a_target_is_rounded_before_its_bounds_are_checked(
    database, gql, token_of, team, value: float, stored: float
) -> None:
    patient, gp, _, _ = team
    body = await gql(
        SET_TARGET, {"input": {"patientId": patient.global_id, "maxPercent": value}}, token=await token_of(gp)
    )
    payload = body["data"]["setGlycemiaTarget"]
    assert (payload["target"]["maxPercent"], payload["userErrors"]) == (stored, [])
    assert await _target(database, patient) == stored


async def test_two_first_targets_at_once_do_not_clash(database, team) -> None:
    """The second waits on the first's row (PostgreSQL) or its write lock (SQLite),
    then replaces it: no uniqueness error, one target, the last one set."""
    patient, _, _, _ = team

    async def set_target(value: float) -> bool:
        async with database.session() as session:
            _, created = await store.set_target(
                await session.connection(),
                patient.person_id,
                value,
                set_by_name="Dr",
                set_by_professional_id=None,
            )
        return created

    async with database.session() as session:
        _, first_created = await store.set_target(
            await session.connection(), patient.person_id, 7.0, set_by_name="Dr", set_by_professional_id=None
        )
        second = asyncio.create_task(set_target(7.5))
        await asyncio.sleep(0.3)  # the second is now waiting on the first, not yet committed
    assert (first_created, await second) == (True, False)
    assert await _target(database, patient) == 7.5


async def test_statements_do_not_grow_with_the_readings(
    database, contents, gql, token_of, count_statements, team
) -> None:
    patient, gp, lab, _ = team
    token = await token_of(gp)
    counts = []
    for reports in (1, 4):
        for index in range(reports):
            record = await deposit(
                database, contents, patient, lab, cda((f"7.{index}", "%", day(10 + index)))
            )
            await run_hook(database, contents, record)
        await _glycemia(gql, patient, token)  # the first read also writes the professional's first access
        count_statements.statements.clear()
        found = await _glycemia(gql, patient, token, last=50)
        counts.append(count_statements.count)
        assert len(found["hba1c"]) in (1, 5)
    assert counts[0] == counts[1], counts
