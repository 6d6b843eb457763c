"""Reminders: `espace agenda refresh` (e.g. nightly) brings every open space's
agenda in step with the rules (a birthday or a new day may make an item due
with no other change) and queues one reminder per item that became due, in
the notification outbox, unless the patient refused reminders of its kind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update

from api.access.policy import Action
from api.access.service import Access, patient_side
from api.agenda import service
from api.agenda.models import AgendaItem, ItemKind, ItemStatus, ReminderPreference
from api.db import Database, utcnow
from api.directory import queries as directory
from api.journal import outbox
from api.journal.records import AccessAction
from api.timezones import paris_today

BATCH = 500


@dataclass(frozen=True, slots=True)
class RefreshReport:
    spaces: int
    recomputed: int
    reminders: int


async def refresh_all(database: Database, today: date | None = None) -> RefreshReport:
    today = today or paris_today()
    spaces = recomputed = reminders = 0
    after: uuid.UUID | None = None
    while True:
        async with database.read() as connection:
            batch = await directory.open_patient_ids(connection, after=after, limit=BATCH)
        for patient_id in batch:
            spaces += 1
            recomputed += await service.refresh(database, patient_id, today)
            reminders += await remind(database, patient_id)
        if len(batch) < BATCH:
            return RefreshReport(spaces, recomputed, reminders)
        after = batch[-1]


async def remind(database: Database, patient_id: uuid.UUID) -> int:
    """Queue a reminder for each item due and not yet reminded; how many."""
    async with database.session() as session:
        connection = await session.connection()
        refused = await connection.scalar(
            select(ReminderPreference.refused_kinds).where(ReminderPreference.patient_id == patient_id)
        )
        query = select(AgendaItem.id, AgendaItem.kind, AgendaItem.title, AgendaItem.due_date).where(
            AgendaItem.patient_id == patient_id,
            AgendaItem.status == ItemStatus.DUE.value,
            AgendaItem.reminded_at.is_(None),
        )
        if refused:
            query = query.where(AgendaItem.kind.not_in(refused.split()))
        due = (await connection.execute(query.with_for_update(skip_locked=True))).all()
        for item in due:
            await outbox.emit(
                connection,
                outbox.EventKind.AGENDA_ITEM_DUE,
                patient_id,
                {
                    "itemId": str(item.id),
                    "kind": item.kind,
                    "title": item.title,
                    "dueDate": item.due_date.isoformat() if item.due_date else None,
                },
            )
        if due:
            await connection.execute(
                update(AgendaItem)
                .where(AgendaItem.patient_id == patient_id, AgendaItem.id.in_([item.id for item in due]))
                .values(reminded_at=utcnow())
            )
    return len(due)


async def set_refused_kinds(access: Access, patient_id: uuid.UUID, kinds: list[ItemKind]) -> list[ItemKind]:
    """The kinds of item the patient wants no reminder for, from now on."""
    granted = await patient_side(access, patient_id, Action.UPDATE)
    value = " ".join(sorted({kind.value for kind in kinds}))
    async with access.database.session() as session:
        connection = await session.connection()
        changed = await connection.execute(
            update(ReminderPreference)
            .where(ReminderPreference.patient_id == patient_id)
            .values(refused_kinds=value, updated_at=utcnow())
        )
        if not changed.rowcount:
            await connection.execute(
                insert(ReminderPreference).values(
                    patient_id=patient_id, refused_kinds=value, updated_at=utcnow()
                )
            )
        await access.write_entry(connection, granted, AccessAction.UPDATE, "AgendaReminders", patient_id)
    return sorted({ItemKind(kind) for kind in value.split()})
