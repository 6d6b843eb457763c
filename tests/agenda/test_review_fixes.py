"""The agenda at its edges: concurrent reads of a new space, links that
outlive access, done items whose evidence is hidden since, the patient's own
items following the days, extreme dates."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from api.agenda import service
from api.agenda.models import AgendaItem
from api.agenda.reminders import remind
from api.directory.models import Patient
from api.dossier.models import Document
from api.timezones import paris_today
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries

TWO_AGENDAS = """query($id: ID!) { patient(id: $id) {
  a: agenda(first: 3) { totalCount } b: agenda(first: 5) { totalCount } } }"""
FEED = "mutation($id: ID!) { createAgendaFeed(patientId: $id) { url } }"
CREATE = """mutation($input: CreateAppointmentInput!) { createAppointment(input: $input) {
  agendaItem { id status } userErrors { field } } }"""


async def test_concurrent_reads_of_a_new_space_compute_it_once(database, gql, token_of) -> None:
    patient = await factories.make_patient(database, birth_date=date(1960, 3, 3))
    body = await gql(TWO_AGENDAS, {"id": patient.global_id}, token=await token_of(patient))
    assert "errors" not in body, body
    other = await factories.make_patient(database, birth_date=date(1960, 3, 3))
    results = await asyncio.gather(*(service.refresh(database, other.person_id) for _ in range(3)))
    assert any(results)
    async with database.read() as connection:
        keys = list(
            await connection.scalars(select(AgendaItem.key).where(AgendaItem.patient_id == other.person_id))
        )
    assert len(keys) == len(set(keys)) > 0


async def test_a_link_stops_with_the_access_of_whoever_made_it(client, gql, database, token_of) -> None:
    child, parent = await factories.make_patient(database), await factories.make_patient(database)
    expires = datetime.now(UTC) + timedelta(days=1)
    await factories.represent(database, child, parent, expires_at=expires)
    body = await gql(FEED, {"id": child.global_id}, token=await token_of(parent, acting_for=child.person_id))
    path = urlsplit(body["data"]["createAgendaFeed"]["url"]).path
    assert (await client.get(path)).status_code == 200
    logged = {(e.action, e.object_type, e.actor_kind) for e in await entries(database, child.person_id)}
    assert ("READ", "AgendaFeed", "REPRESENTATIVE") in logged
    from api.access.models import Representation

    async with database.session() as session:
        await session.execute(
            update(Representation)
            .where(Representation.patient_id == child.person_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert (await client.get(path)).status_code == 404

    patient = await factories.make_patient(database)
    own = urlsplit(
        (await gql(FEED, {"id": patient.global_id}, token=await token_of(patient)))["data"][
            "createAgendaFeed"
        ]["url"]
    ).path
    assert (await client.get(own)).status_code == 200
    async with database.session() as session:
        await session.execute(update(Patient).where(Patient.id == patient.person_id).values(status="CLOSED"))
    assert (await client.get(own)).status_code == 404


async def test_a_done_item_goes_when_its_evidence_is_hidden_from_the_reader(database, contents) -> None:
    today = paris_today()
    teen = await factories.make_patient(
        database, birth_date=today.replace(year=today.year - 15) - timedelta(days=10)
    )
    record = await factories.deposit(
        database, contents, teen, title="Certificat d'examen obligatoire", type_code="11488-4"
    )
    exam_day = teen_day = today.replace(year=today.year - 4)
    async with database.session() as session:
        await session.execute(update(Document).where(Document.id == record.id).values(service_date=exam_day))
    await service.refresh(database, teen.person_id, force=True)
    async with database.read() as connection:
        done = list(
            await connection.scalars(
                select(AgendaItem.key).where(
                    AgendaItem.patient_id == teen.person_id, AgendaItem.done_on == teen_day
                )
            )
        )
    assert done, "the examination should be done by the certificate"
    async with database.session() as session:
        await session.execute(
            update(Document).where(Document.id == record.id).values(hidden_from_representatives=True)
        )
    await service.refresh(database, teen.person_id, force=True)
    async with database.read() as connection:
        left = await connection.scalar(
            select(func.count())
            .select_from(AgendaItem)
            .where(AgendaItem.patient_id == teen.person_id, AgendaItem.done_on == teen_day)
        )
    assert left == 0


async def test_own_items_become_due_on_their_day_and_are_reminded(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    tomorrow = paris_today() + timedelta(days=1)
    body = await gql(
        CREATE,
        {
            "input": {
                "patientId": patient.global_id,
                "kind": "REMINDER",
                "title": "Prise de sang",
                "dueDate": tomorrow.isoformat(),
            }
        },
        token=token,
    )
    assert body["data"]["createAppointment"]["agendaItem"]["status"] == "UPCOMING"
    await service.refresh(database, patient.person_id, tomorrow)
    async with database.read() as connection:
        status = await connection.scalar(
            select(AgendaItem.status).where(
                AgendaItem.patient_id == patient.person_id, AgendaItem.title == "Prise de sang"
            )
        )
    assert status == "DUE"
    assert await remind(database, patient.person_id) >= 1


async def test_extreme_dates_are_user_errors(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    for fields, field in (
        ({"startsAt": "9999-12-31T23:30:00-12:00"}, "startsAt"),
        ({"startsAt": "0001-01-01T00:30:00+14:00"}, "startsAt"),
        ({"kind": "REMINDER", "dueDate": "9999-12-31"}, "dueDate"),
    ):
        body = await gql(
            CREATE, {"input": {"patientId": patient.global_id, "title": "Loin", **fields}}, token=token
        )
        assert error_codes(body) == [], body
        assert body["data"]["createAppointment"]["userErrors"] == [{"field": [field]}]


def test_access_logs_never_show_a_feed_secret() -> None:
    import logging

    from api.agenda.routes import RedactFeedSecrets

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", "/agenda/abcSECRET.ics", "1.1", 200),
        None,
    )
    assert RedactFeedSecrets().filter(record)
    assert "SECRET" not in record.getMessage()
    assert "/agenda/***.ics" in record.getMessage()
