"""The agenda on both databases: items materialized from the rules, once;
the laboratory's HbA1c marks the follow-up done and schedules the next; the
patient's decisions survive recomputing; appointments; who may read and write."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.access.models import CareRole
from api.agenda import service
from api.agenda.durations import Duration
from api.agenda.models import AgendaItem
from api.graphql.ids import encode_id
from api.timezones import PARIS, paris_today
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries

# The HbA1c her GP measured 70 days ago (the next is due within the 30-day window), whatever the day.
MEASURED = paris_today() - timedelta(days=70)
AGENDA = """query($id: ID!, $first: Int, $after: String, $filter: AgendaFilter) {
  patient(id: $id) { agenda(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind title status dueDate startsAt ruleCode description doneOn nextDueDate } } } } }"""
DECIDE = """mutation($input: UpdateAgendaItemInput!) { updateAgendaItem(input: $input) {
  agendaItem { id status snoozedUntil doneOn } userErrors { field message } } }"""
CREATE = """mutation($input: CreateAppointmentInput!) { createAppointment(input: $input) {
  agendaItem { id kind title status startsAt } userErrors { field message } } }"""


async def _items(database, patient) -> dict[str, tuple]:
    async with database.read() as connection:
        rows = await connection.execute(
            select(
                AgendaItem.key,
                AgendaItem.status,
                AgendaItem.due_date,
                AgendaItem.done_on,
                AgendaItem.next_due,
            ).where(AgendaItem.patient_id == patient.person_id)
        )
        return {row.key: tuple(row)[1:] for row in rows}


@pytest.fixture
async def diabetic(database, contents):
    """A 54-year-old woman with type 2 diabetes, like Nadia, and her GP."""
    patient = await factories.make_patient(database, birth_date=date(1972, 11, 8), sex="F")
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    from api.access.service import Access
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for
    from api.profile import service as profile
    from api.profile.models import EntryKind

    account = await find_account(database, str(gp.account_id))
    access = Access(
        principal_for(account, {"client_id": "t", "jti": "t", "scope": "profile:write"}), database
    )
    await profile.add_entry(
        access,
        patient.person_id,
        kind=EntryKind.CONDITION,
        label="Diabète de type 2",
        details=None,
        occurred_on=date(2019, 3, 1),
    )
    await profile.add_measurement(
        access,
        patient.person_id,
        kind="HBA1C",
        value=7.3,
        unit="%",
        measured_at=datetime(MEASURED.year, MEASURED.month, MEASURED.day, 9, 0, tzinfo=PARIS),
    )
    return patient, gp


async def test_the_rules_become_items_once(database, diabetic) -> None:
    patient, _ = diabetic
    today = paris_today()
    assert await service.refresh(database, patient.person_id, today) is True
    items = await _items(database, patient)
    for key in ("colorectal-screening", "breast-screening", "diabetes-eye-exam", "diabetes-kidney-function"):
        assert items[key][0] == "DUE", key
    assert items["colorectal-screening"][1] == date(2022, 11, 8)  # her 50th birthday
    assert items["diabetes-eye-exam"][1] == date(2019, 3, 1)  # since the diabetes
    hba1c = items[f"diabetes-hba1c@{MEASURED.isoformat()}"]
    assert hba1c[:2] == ("UPCOMING", Duration(months=3).after(MEASURED))  # every 3 months
    assert await service.refresh(database, patient.person_id, today) is False  # nothing changed: no write
    async with database.read() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.patient_id == patient.person_id)
        )
    assert count == len(items)


async def test_the_laboratorys_hba1c_marks_the_follow_up_done_and_schedules_the_next(
    database, contents, diabetic
) -> None:
    patient, _ = diabetic
    await service.refresh(database, patient.person_id)
    await factories.deposit(
        database, contents, patient, title="Hémoglobine glyquée (HbA1c)", type_code="11502-2"
    )
    assert await service.refresh(database, patient.person_id) is True
    status, _, done_on, next_due = (await _items(database, patient))[f"diabetes-hba1c@{MEASURED.isoformat()}"]
    assert (status, done_on) == ("DONE", paris_today())
    assert done_on + timedelta(days=85) <= next_due <= done_on + timedelta(days=95)  # three months on


async def test_the_patients_decisions_outlive_recomputing(database, gql, token_of, diabetic) -> None:
    patient, _ = diabetic
    token = await token_of(patient)
    body = await gql(
        AGENDA, {"id": patient.global_id, "first": 50, "filter": {"kinds": ["SCREENING"]}}, token=token
    )
    by_rule = {edge["node"]["ruleCode"]: edge["node"] for edge in body["data"]["patient"]["agenda"]["edges"]}
    colorectal = by_rule["colorectal-screening"]
    assert "50" in colorectal["description"]  # says why
    dismissed = await gql(DECIDE, {"input": {"id": colorectal["id"], "status": "DISMISSED"}}, token=token)
    assert dismissed["data"]["updateAgendaItem"]["agendaItem"]["status"] == "DISMISSED"
    snooze_day = (paris_today() + timedelta(days=20)).isoformat()
    breast = by_rule["breast-screening"]
    snoozed = await gql(
        DECIDE, {"input": {"id": breast["id"], "status": "SNOOZED", "snoozedUntil": snooze_day}}, token=token
    )
    assert snoozed["data"]["updateAgendaItem"]["agendaItem"]["snoozedUntil"] == snooze_day
    await service.refresh(
        database, patient.person_id, paris_today() + timedelta(days=1)
    )  # a new day: recomputed
    body = await gql(
        AGENDA, {"id": patient.global_id, "first": 50, "filter": {"kinds": ["SCREENING"]}}, token=token
    )
    statuses = {
        edge["node"]["ruleCode"]: edge["node"]["status"]
        for edge in body["data"]["patient"]["agenda"]["edges"]
    }
    assert statuses["colorectal-screening"] == "DISMISSED"
    assert statuses["breast-screening"] == "SNOOZED"
    undone = await gql(DECIDE, {"input": {"id": colorectal["id"], "status": "DUE"}}, token=token)
    assert undone["data"]["updateAgendaItem"]["agendaItem"]["status"] == "DUE"
    for bad in (
        {"id": breast["id"], "status": "SNOOZED"},  # until when?
        {"id": breast["id"], "status": "SNOOZED", "snoozedUntil": "2001-01-01"},
        {"id": breast["id"], "status": "DONE", "snoozedUntil": snooze_day},
        {"id": breast["id"], "status": "UPCOMING"},
        {"id": patient.global_id, "status": "DONE"},
    ):
        errors = (await gql(DECIDE, {"input": bad}, token=token))["data"]["updateAgendaItem"]["userErrors"]
        assert errors, bad


async def test_appointments_and_reminders(gql, token_of, diabetic) -> None:
    patient, _ = diabetic
    token = await token_of(patient)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = await gql(
        CREATE,
        {
            "input": {
                "patientId": patient.global_id,
                "title": "Ophtalmologue",
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(minutes=30)).isoformat(),
                "location": "Centre de la vision, Lyon",
            }
        },
        token=token,
    )
    created = body["data"]["createAppointment"]
    assert created["userErrors"] == []
    assert created["agendaItem"]["kind"] == "APPOINTMENT"
    assert created["agendaItem"]["status"] == "UPCOMING"
    reminder = await gql(
        CREATE,
        {
            "input": {
                "patientId": patient.global_id,
                "kind": "REMINDER",
                "title": "Renouveler l'ordonnance",
                "dueDate": (paris_today() + timedelta(days=10)).isoformat(),
            }
        },
        token=token,
    )
    assert reminder["data"]["createAppointment"]["userErrors"] == []
    for bad, field in (
        ({"title": "Sans heure"}, "startsAt"),
        ({"title": " ", "startsAt": start.isoformat()}, "title"),
        (
            {
                "title": "À l'envers",
                "startsAt": start.isoformat(),
                "endsAt": (start - timedelta(hours=1)).isoformat(),
            },
            "endsAt",
        ),
        (
            {
                "title": "Trop long",
                "startsAt": start.isoformat(),
                "endsAt": (start + timedelta(days=2)).isoformat(),
            },
            "endsAt",
        ),
        ({"title": "Dépistage", "kind": "SCREENING", "startsAt": start.isoformat()}, "kind"),
    ):
        errors = (await gql(CREATE, {"input": {"patientId": patient.global_id, **bad}}, token=token))["data"][
            "createAppointment"
        ]["userErrors"]
        assert [error["field"] for error in errors] == [[field]], bad


async def test_pages_soonest_first(gql, token_of, diabetic) -> None:
    patient, _ = diabetic
    token = await token_of(patient)
    seen, after = [], None
    while True:
        body = await gql(AGENDA, {"id": patient.global_id, "first": 3, "after": after}, token=token)
        page = body["data"]["patient"]["agenda"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]
    bad = await gql(AGENDA, {"id": patient.global_id, "first": 3, "after": "nope"}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_who_may_read_and_write_the_agenda(gql, database, token_of, diabetic) -> None:
    patient, gp = diabetic
    outsider = await factories.make_professional(database)
    caregiver = await factories.make_patient(database)
    await factories.represent(database, patient, caregiver, kind="CAREGIVER", parts="AGENDA")
    assert error_codes(
        await gql(AGENDA, {"id": patient.global_id, "first": 5}, token=await token_of(outsider))
    ) == ["FORBIDDEN"]
    assert error_codes(
        await gql(AGENDA, {"id": patient.global_id, "first": 5}, token=await token_of(gp))
    ) == ["FORBIDDEN"]  # the agenda is the patient's: not the care team's
    as_caregiver = await token_of(caregiver, acting_for=patient.person_id)
    body = await gql(AGENDA, {"id": patient.global_id, "first": 5}, token=as_caregiver)
    item = body["data"]["patient"]["agenda"]["edges"][0]["node"]
    refused = await gql(DECIDE, {"input": {"id": item["id"], "status": "DONE"}}, token=as_caregiver)
    assert error_codes(refused) == ["FORBIDDEN"]
    logged = {(e.action, e.object_type, e.actor_kind) for e in await entries(database, patient.person_id)}
    assert ("READ", "AgendaItem", "REPRESENTATIVE") in logged
    no_scope = await token_of(patient, scopes={"documents:read"})
    assert error_codes(await gql(AGENDA, {"id": patient.global_id, "first": 5}, token=no_scope)) == [
        "FORBIDDEN"
    ]
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on AgendaItem { title } } }",
        {"id": encode_id("AgendaItem", uuid.UUID(int=7))},
        token=await token_of(patient),
    )
    assert error_codes(node) == ["NOT_FOUND"]


async def test_statements_do_not_grow_with_the_page(gql, token_of, count_statements, diabetic) -> None:
    patient, _ = diabetic
    token = await token_of(patient)
    await gql(AGENDA, {"id": patient.global_id, "first": 1}, token=token)  # computed once
    counts = []
    for first in (2, 8):
        count_statements.statements.clear()
        body = await gql(AGENDA, {"id": patient.global_id, "first": first}, token=token)
        assert len(body["data"]["patient"]["agenda"]["edges"]) == first
        counts.append(len(count_statements.statements))
    assert counts[0] == counts[1]
