"""E-mail notices from the outbox (`espace outbox deliver`), through a real SMTP server
(aiosmtpd on a free local port): sent once to the patient's address, saying nothing of
health; retried with backoff, parked after too many failures; shared by concurrent
deliverers without sending twice."""

from __future__ import annotations

import asyncio
import smtplib
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage, Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from api.db import utcnow
from api.journal import outbox
from api.journal.models import OutboxEvent
from api.notifications.delivery import SmtpSender, backoff, deliver
from api.settings import Settings
from tests import factories
from tests.conftest import SUITE_RATE_LIMITS

PREFERENCES = """mutation($p: ID!, $email: String) {
  updateAccessPreferences(input: {patientId: $p, notificationEmail: $email}) {
    userErrors { field message }
  }
}"""
READ = "query($p: ID!) { patient(id: $p) { accessPreferences { notificationEmail } } }"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mail_settings(settings: Settings, port: int, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,
        var_dir=settings.var_dir,
        database_url=settings.resolved_database_url,
        plugin_hooks_interval=0,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        **{**SUITE_RATE_LIMITS, **overrides},
    )


async def _patient_with_address(database, gql, token_of, address: str | None):
    patient = await factories.make_patient(database)
    if address is not None:
        body = await gql(
            PREFERENCES, {"p": patient.global_id, "email": address}, token=await token_of(patient)
        )
        assert body["data"]["updateAccessPreferences"]["userErrors"] == []
    return patient


async def _notice(database, patient, kind=outbox.EventKind.DOCUMENT_DEPOSITED) -> None:
    async with database.session() as session:
        payload = {"documentId": "x", "title": "Compte rendu de coloscopie"}  # what must never be mailed
        await outbox.emit(await session.connection(), kind, patient.person_id, payload)


async def _event_of(database, patient) -> OutboxEvent:
    async with database.read() as connection:
        query = select(OutboxEvent).where(OutboxEvent.patient_id == patient.person_id)
        return (await connection.execute(query)).one()


async def test_a_notice_is_mailed_once_to_the_patient_and_says_nothing_of_health(
    smtp, settings, database, gql, token_of
) -> None:
    inbox, port = smtp
    config = mail_settings(settings, port)
    patient = await _patient_with_address(database, gql, token_of, "Nadia.Test@Example.FR")
    await _notice(database, patient)

    first = await deliver(database, config, SmtpSender(config))
    again = await deliver(database, config, SmtpSender(config))

    mine = [m for m in inbox.messages if m["To"] == "Nadia.Test@example.fr"]  # the domain lower-cased
    assert len(mine) == 1
    assert first.sent >= 1
    assert again.sent == 0  # delivered events are not sent twice
    message = mine[0]
    event = await _event_of(database, patient)
    assert message["Message-ID"] == f"<{event.id}@127.0.0.1>"
    assert "Un nouveau document" in message["Subject"]
    text = message.get_payload(decode=True).decode()
    assert "coloscopie" not in text
    assert "coloscopie" not in message["Subject"]
    assert settings.token_issuer in text or "http" in text
    assert event.delivered_at is not None


async def test_a_patient_without_an_address_gets_no_mail_and_the_notice_is_done(
    smtp, settings, database, gql, token_of
) -> None:
    inbox, port = smtp
    patient = await _patient_with_address(database, gql, token_of, None)
    await _notice(database, patient)
    before = len(inbox.messages)
    config = mail_settings(settings, port)
    report = await deliver(database, config, SmtpSender(config))
    assert report.without_address >= 1
    assert (await _event_of(database, patient)).delivered_at is not None
    assert all(message["To"] is not None for message in inbox.messages[before:])


async def test_a_failed_send_backs_off_then_succeeds_and_is_parked_after_too_many(
    settings, database, gql, token_of
) -> None:
    config = mail_settings(settings, 9, outbox_max_attempts=3)
    patient = await _patient_with_address(database, gql, token_of, "backoff@example.fr")
    await deliver(database, config, _collect([]))  # earlier tests' notices out of the way
    await _notice(database, patient)

    async def refused(message: EmailMessage) -> None:
        raise smtplib.SMTPServerDisconnected("the server went away")

    assert (await deliver(database, config, refused)).failed == 1
    event = await _event_of(database, patient)
    assert event.delivered_at is None
    assert event.attempts == 1
    assert event.next_attempt_at > utcnow() + backoff(1) - timedelta(seconds=5)
    assert (await deliver(database, config, refused)).failed == 0  # not before its time

    await _due_now(database, patient)
    sent: list[EmailMessage] = []
    assert (await deliver(database, config, _collect(sent))).sent == 1
    assert [m["To"] for m in sent] == ["backoff@example.fr"]
    assert (await _event_of(database, patient)).attempts == 2

    # Another notice that never gets through: parked after three attempts, left undelivered.
    await _notice(database, patient, outbox.EventKind.MESSAGE_RECEIVED)
    for _ in range(3):
        await _due_now(database, patient)
        await deliver(database, config, refused)
    async with database.read() as connection:
        stuck = (
            await connection.execute(
                select(OutboxEvent).where(
                    OutboxEvent.patient_id == patient.person_id, OutboxEvent.delivered_at.is_(None)
                )
            )
        ).one()
    assert stuck.attempts == 3
    await _due_now(database, patient)
    assert (await deliver(database, config, refused)).failed == 0  # parked: no more tries
    assert backoff(1) == timedelta(minutes=1)
    assert backoff(3) == timedelta(minutes=4)
    assert backoff(30) == timedelta(hours=6)


async def test_concurrent_deliverers_send_each_notice_once(settings, database, gql, token_of) -> None:
    config = mail_settings(settings, 9)
    patients = [await _patient_with_address(database, gql, token_of, f"p{n}@example.fr") for n in range(3)]
    await deliver(database, config, _collect([]))
    for patient in patients:
        for _ in range(4):
            await _notice(database, patient)
    sent: list[EmailMessage] = []

    async def slow(message: EmailMessage) -> None:
        await asyncio.sleep(0.01)
        sent.append(message)

    reports = await asyncio.gather(*(deliver(database, config, slow) for _ in range(4)))
    assert sum(report.sent for report in reports) == 12
    assert len({m["Message-ID"] for m in sent}) == len(sent) == 12


async def test_a_bad_address_is_a_user_error_and_nothing_changes(database, gql, token_of) -> None:
    patient = await _patient_with_address(database, gql, token_of, "kept@example.fr")
    token = await token_of(patient)
    for bad in (
        "not-an-address",
        "a@b",
        "x" * 250 + "@example.fr",
        "a@@example.fr",
        "a@example.fr\nBcc: x@y.fr",
    ):
        body = await gql(PREFERENCES, {"p": patient.global_id, "email": bad}, token=token)
        assert body["data"]["updateAccessPreferences"]["userErrors"][0]["field"] == ["notificationEmail"], bad
    read = await gql(READ, {"p": patient.global_id}, token=token)
    assert read["data"]["patient"]["accessPreferences"]["notificationEmail"] == "kept@example.fr"
    cleared = await gql(PREFERENCES, {"p": patient.global_id, "email": ""}, token=token)
    assert cleared["data"]["updateAccessPreferences"]["userErrors"] == []
    read = await gql(READ, {"p": patient.global_id}, token=token)
    assert read["data"]["patient"]["accessPreferences"]["notificationEmail"] is None


def _collect(into: list[EmailMessage]):
    async def send(message: EmailMessage) -> None:
        into.append(message)

    return send


async def _due_now(database, patient) -> None:
    async with database.session() as session:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.patient_id == patient.person_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
