"""Notices about access, queued in the outbox in the journal's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.models import AccessPreferences, SpaceVisitor
from api.db import utcnow
from api.journal import outbox
from api.journal.records import AccessAction, JournalRecord


async def notify_first_professional_access(connection: AsyncConnection, records: list[JournalRecord]) -> None:
    """Queue a notice the first time each professional accesses a space."""
    visits = {
        (r.patient_id, r.professional_id): r
        for r in records
        if r.professional_id is not None and r.action is not AccessAction.DENIED  # a refusal is no visit
    }
    for (patient_id, professional_id), record in sorted(visits.items(), key=lambda item: str(item[0])):
        if professional_id is None or not await _first_visit(connection, patient_id, professional_id):
            continue
        if await _wants_new_professional_notices(connection, patient_id):
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


async def _wants_new_professional_notices(connection: AsyncConnection, patient_id: uuid.UUID) -> bool:
    """The patient's setting; no row means the default, which is yes."""
    wanted = await connection.scalar(
        select(AccessPreferences.notify_new_professional).where(AccessPreferences.patient_id == patient_id)
    )
    return wanted is None or bool(wanted)


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


async def wants_document_notices(connection: AsyncConnection, patient_id: uuid.UUID) -> bool:
    """The patient's setting for notices of new documents; no row means yes."""
    wanted = await connection.scalar(
        select(AccessPreferences.notify_new_document).where(AccessPreferences.patient_id == patient_id)
    )
    return wanted is None or bool(wanted)
