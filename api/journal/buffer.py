"""Reads of a request, buffered and written once at its end.

Journaling then costs one transaction per request, whatever the number of
objects read; if it cannot be written, the view withholds the data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import Database, utcnow
from api.journal import outbox, service
from api.journal.models import SpaceVisitor
from api.journal.records import JournalRecord


class JournalBuffer:
    def __init__(self) -> None:
        self._records: list[JournalRecord] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(self, record: JournalRecord) -> None:
        """Keep one entry per object and action in a request."""
        key = (
            record.patient_id,
            record.action,
            record.object_type,
            record.object_id,
            record.actor_account_id,
        )
        if key not in self._seen:
            self._seen.add(key)
            self._records.append(record)

    @property
    def records(self) -> list[JournalRecord]:
        return list(self._records)

    async def flush(self, database: Database) -> None:
        """Write the buffered entries in one transaction, then forget them."""
        if not self._records:
            return
        records, self._records, self._seen = self._records, [], set()
        async with database.engine.begin() as connection:
            await service.append(connection, records)
            await notify_first_professional_access(connection, records)


async def notify_first_professional_access(connection: AsyncConnection, records: list[JournalRecord]) -> None:
    """Queue a notice the first time each professional accesses a space."""
    visits = {(r.patient_id, r.professional_id): r for r in records if r.professional_id is not None}
    for (patient_id, professional_id), record in sorted(visits.items(), key=lambda item: str(item[0])):
        if professional_id is not None and await _first_visit(connection, patient_id, professional_id):
            await outbox.emit(
                connection,
                outbox.EventKind.FIRST_PROFESSIONAL_ACCESS,
                patient_id,
                {
                    "professionalId": str(professional_id),
                    "professionalName": record.actor_name,
                    "profession": record.profession,
                    "organization": record.organization_name,
                    "emergency": record.emergency,
                    "at": record.at.isoformat(),
                },
            )


async def _first_visit(
    connection: AsyncConnection, patient_id: uuid.UUID, professional_id: uuid.UUID
) -> bool:
    values = {"patient_id": patient_id, "professional_id": professional_id, "first_access_at": utcnow()}
    if connection.dialect.name == "postgresql":
        inserted = await connection.execute(
            pg_insert(SpaceVisitor)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(SpaceVisitor.patient_id)
        )
        return inserted.first() is not None
    # SQLite: the write lock is held for the whole transaction, so look then insert.
    known = await connection.scalar(
        select(SpaceVisitor.patient_id).where(
            SpaceVisitor.patient_id == patient_id, SpaceVisitor.professional_id == professional_id
        )
    )
    if known is not None:
        return False
    await connection.execute(insert(SpaceVisitor).values(**values))
    return True
