"""`espace outbox deliver`: the outbox's notices sent by e-mail (SMTP), at least once.

Each event is claimed alone (on PostgreSQL with FOR UPDATE SKIP LOCKED, so several
deliverers share the work), sent, then marked delivered in the same short
transaction. A failed send is tried again later (backing off, doubling from a
minute) and parked after ESPACE_OUTBOX_MAX_ATTEMPTS; a crash between sending and
committing sends the notice again, under the same Message-ID. A patient without a
notification address gets no e-mail: the event is marked delivered.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update

from api.access.models import AccessPreferences
from api.db import Database, utcnow
from api.journal.models import OutboxEvent
from api.journal.outbox import FACTS, PENDING_COLUMNS, PendingEvent
from api.notifications.messages import notice
from api.settings import Settings

logger = logging.getLogger("api.notifications")

Send = Callable[[EmailMessage], Awaitable[None]]
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    without_address: int = 0
    failed: int = 0
    parked: int = 0


class SmtpSender:
    """Sends through the configured server (STARTTLS by default), one connection per message."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None:
            raise ValueError("ESPACE_SMTP_HOST is not set: there is no server to send notices through")
        self.settings = settings

    async def __call__(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        settings = self.settings
        with smtplib.SMTP(
            settings.smtp_host or "", settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)


def _claim(now: object, max_attempts: int, postgres: bool) -> object:
    query = (
        select(*PENDING_COLUMNS, AccessPreferences.notification_email)
        .outerjoin(AccessPreferences, AccessPreferences.patient_id == OutboxEvent.patient_id)
        .where(
            OutboxEvent.delivered_at.is_(None),
            OutboxEvent.kind.not_in([str(kind) for kind in FACTS]),
            OutboxEvent.attempts < max_attempts,
            or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
        )
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(1)
    )
    return query.with_for_update(of=OutboxEvent, skip_locked=True) if postgres else query


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4... minutes, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


async def deliver(database: Database, settings: Settings, send: Send, *, limit: int = 1000) -> DeliveryReport:
    """Deliver up to `limit` pending notices, one transaction each."""
    report = DeliveryReport()
    site = urlsplit(settings.token_issuer)
    for _ in range(limit):
        async with database.session() as session:
            connection = await session.connection()
            row = (
                await connection.execute(
                    _claim(utcnow(), settings.outbox_max_attempts, not database.is_sqlite)
                )
            ).first()
            if row is None:
                break
            event = PendingEvent(*row[: len(PENDING_COLUMNS)])
            done = {"delivered_at": utcnow(), "attempts": event.attempts + 1, "next_attempt_at": None}
            if row.notification_email is None:
                report.without_address += 1
            else:
                message = notice(
                    event,
                    to=row.notification_email,
                    sender=settings.mail_from,
                    space_url=settings.token_issuer,
                    domain=site.hostname or "",
                )
                try:
                    await send(message)
                    report.sent += 1
                except (OSError, smtplib.SMTPException) as error:
                    attempts = event.attempts + 1
                    parked = attempts >= settings.outbox_max_attempts
                    report.failed += 1
                    report.parked += parked
                    logger.warning(
                        "notice %s not sent (attempt %d%s): %s",
                        event.id,
                        attempts,
                        ", parked" if parked else "",
                        type(error).__name__,
                    )
                    done = {"attempts": attempts, "next_attempt_at": utcnow() + backoff(attempts)}
            await connection.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(**done))
    return report
