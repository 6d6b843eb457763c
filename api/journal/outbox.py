"""The notification outbox: events written in the transaction of their cause,
delivered later (at least once) by a relay. Channels come later; the outbox
is the contract."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import new_id, utcnow
from api.journal.models import OutboxEvent


class EventKind(StrEnum):
    FIRST_PROFESSIONAL_ACCESS = "access.first_professional_access"
    EMERGENCY_ACCESS_OPENED = "access.emergency_opened"
    CARE_RELATIONSHIP_DECLARED = "access.care_relationship_declared"
    DOCUMENT_DEPOSITED = "dossier.document_deposited"
    DOSSIER_UPDATED = "dossier.updated"
    DOCUMENT_RELEASED = "dossier.document_released"
    APP_SUSPENDED = "catalogue.app_suspended"
    AGENDA_ITEM_DUE = "agenda.item_due"
    MESSAGE_RECEIVED = "messaging.message_received"
    # Facts for processing after the commit (plugins' hooks), not notifications:
    # written as delivered, their consumers keep their own account (api/hooks.py).
    DOCUMENT_ADDED = "dossier.document_added"
    MEASUREMENT_ADDED = "profile.measurement_added"


FACTS = frozenset({EventKind.DOCUMENT_ADDED, EventKind.MEASUREMENT_ADDED})


@dataclass(frozen=True, slots=True)
class PendingEvent:
    id: uuid.UUID
    patient_id: uuid.UUID | None
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


async def emit(
    connection: AsyncConnection, kind: EventKind, patient_id: uuid.UUID | None, payload: dict[str, Any]
) -> None:
    """Queue an event in the caller's transaction."""
    now = utcnow()
    await connection.execute(
        insert(OutboxEvent).values(
            id=new_id(),
            patient_id=patient_id,
            kind=str(kind),
            payload=payload,
            created_at=now,
            delivered_at=now if kind in FACTS else None,
            attempts=0,
        )
    )


# The columns of a PendingEvent, in its order.
PENDING_COLUMNS = (
    OutboxEvent.id,
    OutboxEvent.patient_id,
    OutboxEvent.kind,
    OutboxEvent.payload,
    OutboxEvent.created_at,
    OutboxEvent.attempts,
)


async def pending(connection: AsyncConnection, *, limit: int = 100) -> list[PendingEvent]:
    rows = await connection.execute(
        select(*PENDING_COLUMNS)
        .where(OutboxEvent.delivered_at.is_(None))
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(limit)
    )
    return [PendingEvent(*row) for row in rows]
