"""Reading the journal and the outbox straight from the database, for assertions."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.journal.models import JournalEntry, OutboxEvent


async def entries(database, patient_id: uuid.UUID) -> list:
    async with database.read() as connection:
        rows = await connection.execute(
            select(JournalEntry).where(JournalEntry.patient_id == patient_id).order_by(JournalEntry.seq)
        )
        return list(rows)


async def events(database, patient_id: uuid.UUID, kind: str | None = None) -> list:
    async with database.read() as connection:
        query = select(OutboxEvent).where(OutboxEvent.patient_id == patient_id)
        if kind:
            query = query.where(OutboxEvent.kind == kind)
        return list(await connection.execute(query.order_by(OutboxEvent.created_at)))
