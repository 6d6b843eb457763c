"""The patient's access preferences: emergency access refused in advance, notices."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.access.models import AccessPreferences
from api.access.policy import Action
from api.access.service import Access, patient_side
from api.db import utcnow
from api.errors import BadUserInput
from api.journal.records import AccessAction

# A plain address (RFC 5321's 254 characters at most): a notice is sent there, nothing else.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


@dataclass(frozen=True, slots=True)
class Preferences:
    refuses_emergency_access: bool = False
    notify_new_professional: bool = True
    notify_new_document: bool = True
    notification_email: str | None = None


def checked_email(value: str) -> str | None:
    """The address to keep; None clears it (an empty string); BAD_USER_INPUT otherwise."""
    value = value.strip()
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.match(value):
        raise BadUserInput("An e-mail address, e.g. nadia@example.fr.", field="notificationEmail")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


async def read_preferences(access: Access, patient_id: uuid.UUID) -> Preferences:
    granted = await patient_side(access, patient_id, Action.READ)
    async with access.database.read() as connection:
        row = (
            await connection.execute(
                select(
                    AccessPreferences.refuses_emergency_access,
                    AccessPreferences.notify_new_professional,
                    AccessPreferences.notify_new_document,
                    AccessPreferences.notification_email,
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
    notification_email: str | None = None,
) -> None:
    """Omitted (None) fields stay; an empty `notification_email` clears it."""
    granted = await patient_side(access, patient_id, Action.UPDATE)
    changes: dict[str, object] = {
        key: value
        for key, value in {
            "refuses_emergency_access": refuses_emergency_access,
            "notify_new_professional": notify_new_professional,
            "notify_new_document": notify_new_document,
        }.items()
        if value is not None
    }
    if notification_email is not None:
        changes["notification_email"] = checked_email(notification_email)
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
