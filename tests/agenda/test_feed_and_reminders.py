"""The private iCalendar feed (valid RFC 5545, revocable) and the reminders
queued by the nightly refresh, which respect the kinds the patient refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from sqlalchemy import select

from api.agenda import service
from api.agenda.reminders import refresh_all, remind
from api.journal.models import OutboxEvent
from api.timezones import paris_today
from tests import factories
from tests.conftest import error_codes, needs_plugin

FEED = "mutation($id: ID!) { createAgendaFeed(patientId: $id) { url userErrors { message } } }"
REVOKE = "mutation($id: ID!) { revokeAgendaFeed(patientId: $id) { revoked } }"
REFUSE = """mutation($id: ID!, $kinds: [AgendaItemKind!]!) {
  setAgendaReminders(patientId: $id, refusedKinds: $kinds) { refusedKinds } }"""


async def _feed_path(gql, token, patient) -> str:
    body = await gql(FEED, {"id": patient.global_id}, token=token)
    return urlsplit(body["data"]["createAgendaFeed"]["url"]).path


async def test_the_feed_is_valid_icalendar_and_revocable(client, gql, database, token_of) -> None:
    patient = await factories.make_patient(database, birth_date=date(1970, 1, 15), sex="F")
    token = await token_of(patient)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    await gql(
        "mutation($input: CreateAppointmentInput!) { createAppointment(input: $input) { __typename } }",
        {"input": {"patientId": patient.global_id, "title": "Dentiste", "startsAt": start.isoformat()}},
        token=token,
    )
    path = await _feed_path(gql, token, patient)
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["version"] == "2.0"
    events, todos = list(calendar.walk("VEVENT")), list(calendar.walk("VTODO"))
    assert [str(e["summary"]) for e in events] == ["Dentiste"]
    assert events[0].decoded("dtstart") == start
    summaries = {str(t["summary"]) for t in todos}
    assert any("colorectal" in s.lower() for s in summaries), summaries  # 56 years old
    assert all("uid" in c and "dtstamp" in c for c in [*events, *todos])

    newer = await _feed_path(gql, token, patient)  # a new link revokes the old
    assert (await client.get(path)).status_code == 404
    assert (await client.get(newer)).status_code == 200
    revoked = await gql(REVOKE, {"id": patient.global_id}, token=token)
    assert revoked["data"]["revokeAgendaFeed"]["revoked"] is True
    assert (await client.get(newer)).status_code == 404
    assert (await client.get("/agenda/short.ics")).status_code == 404


async def test_only_the_patient_side_makes_a_feed(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    caregiver = await factories.make_patient(database)
    await factories.represent(database, patient, caregiver, kind="CAREGIVER", parts="AGENDA")
    body = await gql(
        FEED, {"id": patient.global_id}, token=await token_of(caregiver, acting_for=patient.person_id)
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def _reminders(database, patient) -> list[str]:
    async with database.read() as connection:
        rows = await connection.execute(
            select(OutboxEvent.payload).where(
                OutboxEvent.patient_id == patient.person_id, OutboxEvent.kind == "agenda.item_due"
            )
        )
        return sorted(row.payload["kind"] for row in rows)


@needs_plugin("vaccination")  # its calendar holds the vaccinations
async def test_reminders_once_per_due_item_except_refused_kinds(gql, database, token_of) -> None:
    infant = await factories.make_patient(database, birth_date=paris_today() - timedelta(days=75), sex="M")
    parent = await factories.make_patient(database)
    await factories.represent(database, infant, parent)
    token = await token_of(parent, acting_for=infant.person_id)
    body = await gql(REFUSE, {"id": infant.global_id, "kinds": ["CHECKUP"]}, token=token)
    assert body["data"]["setAgendaReminders"]["refusedKinds"] == ["CHECKUP"]
    await service.refresh(database, infant.person_id)
    queued = await remind(database, infant.person_id)
    kinds = await _reminders(database, infant)
    assert queued == len(kinds) > 0
    assert set(kinds) == {"VACCINATION"}  # the 2-month vaccinations; the examinations were refused
    assert await remind(database, infant.person_id) == 0  # once per item
    report = await refresh_all(database)
    assert report.spaces >= 2


def test_the_nightly_command(settings, monkeypatch, capsys) -> None:
    from api.cli import main

    monkeypatch.setenv("ESPACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ESPACE_DATABASE_URL", settings.database_url)
    assert main(["agenda", "refresh"]) == 0
    assert "reminder(s) queued" in capsys.readouterr().out
