"""The patient's access preferences: emergency access refused in advance, notices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.access.models import AccessPreferences
from api.access.policy import Action
from api.access.service import Access, patient_side
from api.db import utcnow
from api.errors import BadUserInput
from api.journal.records import AccessAction


@dataclass(frozen=True, slots=True)
class Preferences:
    refuses_emergency_access: bool = False
    notify_new_professional: bool = True
    notify_new_document: bool = True


async def read_preferences(access: Access, patient_id: uuid.UUID) -> Preferences:
    granted = await patient_side(access, patient_id, Action.READ)
    async with access.database.read() as connection:
        row = (
            await connection.execute(
                select(
                    AccessPreferences.refuses_emergency_access,
                    AccessPreferences.notify_new_professional,
                    AccessPreferences.notify_new_document,
                ).where(AccessPreferences.patient_id == patient_id)
            )
        ).first()
    access.read(granted, "AccessPreferences", patient_id)
    return Preferences(*row) if row else Preferences()


async def update_preferences(
    access: Access,
    patient_id: uuid.UUID,
    *,
    refuses_emergency_access: bool | None = None,
    notify_new_professional: bool | None = None,
    notify_new_document: bool | None = None,
) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    changes = {
        key: value
        for key, value in {
            "refuses_emergency_access": refuses_emergency_access,
            "notify_new_professional": notify_new_professional,
            "notify_new_document": notify_new_document,
        }.items()
        if value is not None
    }
    if not changes:
        raise BadUserInput("Nothing to change.")
    async with access.database.session() as session:
        row = await session.get(AccessPreferences, patient_id)
        if row is None:
            defaults = Preferences()
            row = AccessPreferences(
                patient_id=patient_id,
                refuses_emergency_access=defaults.refuses_emergency_access,
                notify_new_professional=defaults.notify_new_professional,
                notify_new_document=defaults.notify_new_document,
            )
            session.add(row)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        await session.flush()
        await access.write_entry(
            await session.connection(), granted, AccessAction.UPDATE, "AccessPreferences", patient_id
        )
    access.forget_facts(patient_id)
