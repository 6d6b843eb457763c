"""Scheduled work on the dossier (run by `espace dossier release`, e.g. hourly):
documents hidden from their patient until announced are, after two weeks,
announced as "your dossier was updated", and after a month released
(DOMAIN.md; both delays are settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from api.agenda.staleness import inputs_changed
from api.contents.service import Contents
from api.db import Database, utcnow
from api.dossier.models import DepositIdempotencyKey, Document
from api.journal import outbox
from api.messaging import service as messaging

BATCH = 500


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    notified: int
    released: int


async def release_hidden_documents(
    database: Database, *, notice_after: timedelta, release_after: timedelta
) -> ReleaseReport:
    now = utcnow()
    notified = released = 0
    async with database.engine.begin() as connection:
        due = await connection.execute(
            select(Document.patient_id, Document.id)
            .where(
                Document.hidden_from_patient.is_(True),
                Document.deposited_at <= now - release_after,
            )
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        for patient_id, document_id in due.all():
            await connection.execute(
                update(Document)
                .where(Document.patient_id == patient_id, Document.id == document_id)
                .values(hidden_from_patient=False)
            )
            await inputs_changed(connection, patient_id)
            await outbox.emit(
                connection, outbox.EventKind.DOCUMENT_RELEASED, patient_id, {"documentId": str(document_id)}
            )
            released += 1
        pending = await connection.execute(
            select(Document.patient_id, Document.id)
            .where(
                Document.hidden_from_patient.is_(True),
                Document.hidden_notice_sent_at.is_(None),
                Document.deposited_at <= now - notice_after,
            )
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        for patient_id, document_id in pending.all():
            await connection.execute(
                update(Document)
                .where(Document.patient_id == patient_id, Document.id == document_id)
                .values(hidden_notice_sent_at=now)
            )
            # Nothing about the document itself: it must still be announced in person.
            await outbox.emit(connection, outbox.EventKind.DOSSIER_UPDATED, patient_id, {})
            notified += 1
    return ReleaseReport(notified, released)


async def referenced_blobs(database: Database, keys: list[str]) -> set[str]:
    """Which of these blob keys a document, or a file kept with a message, still points to
    (the content store is shared: messaging is asked through its service)."""
    async with database.read() as connection:
        documents = set(
            await connection.scalars(select(Document.blob_key).where(Document.blob_key.in_(keys)))
        )
        return documents | await messaging.referenced_blobs(connection, keys)


async def prune_idempotency_keys(database: Database, *, older_than: timedelta) -> int:
    async with database.engine.begin() as connection:
        pruned = await connection.execute(
            delete(DepositIdempotencyKey).where(DepositIdempotencyKey.created_at <= utcnow() - older_than)
        )
    return pruned.rowcount


async def collect_garbage(
    database: Database, contents: Contents, *, grace: timedelta = timedelta(hours=1)
) -> int:
    """Remove the blobs nothing points to (left by crashes, refused deposits and messages),
    and the partial writes of a process killed while writing one."""
    orphans = await contents.orphans(
        lambda keys: referenced_blobs(database, keys), grace_seconds=grace.total_seconds()
    )
    for key in orphans:
        await contents.remove(key)
    partial = await contents.sweep_partial_writes(grace_seconds=grace.total_seconds())
    return len(orphans) + partial
