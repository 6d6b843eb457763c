"""Emergency access (bris de glace): a professional outside the care team opens
a space for a limited time, with a written reason; journaled and notified."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from api.access.models import CareRelationship, CareRole, EmergencyAccess
from api.access.policy import Relation, SpaceDecision, may_open_emergency
from api.access.service import REASON_MIN_LENGTH, Access, SpaceAccess
from api.db import new_id, utcnow
from api.errors import Forbidden
from api.journal import outbox
from api.journal.records import AccessAction
from api.text import clean_text


@dataclass(frozen=True, slots=True)
class OpenedEmergency:
    id: uuid.UUID
    patient_id: uuid.UUID
    reason: str
    opened_at: datetime
    expires_at: datetime
    regulation: bool


async def open_emergency_access(access: Access, patient_id: uuid.UUID, reason: str) -> OpenedEmergency:
    principal = access.principal
    reason = clean_text(
        reason, field="reason", min_length=REASON_MIN_LENGTH, what="The reason for the emergency access"
    )
    facts = await access.facts(patient_id)
    regulation = principal.emergency_regulation
    if not may_open_emergency(principal, facts, regulation=regulation):
        raise Forbidden("Emergency access to this space is not possible.")
    professional_id = principal.professional_id
    if professional_id is None:
        raise Forbidden("Emergency access to this space is not possible.")
    opened_at = utcnow()
    emergency = OpenedEmergency(
        id=new_id(),
        patient_id=patient_id,
        reason=reason,
        opened_at=opened_at,
        expires_at=opened_at + access.emergency_duration,
        regulation=regulation,
    )
    async with access.database.session() as session:
        connection = await session.connection()
        session.add(
            EmergencyAccess(
                patient_id=patient_id,
                id=emergency.id,
                professional_id=professional_id,
                reason=reason,
                regulation=regulation,
                opened_at=opened_at,
                expires_at=emergency.expires_at,
            )
        )
        await session.flush()
        granted = SpaceAccess(
            patient_id,
            facts,
            SpaceDecision(True, Relation.EMERGENCY, emergency=True, emergency_reason=reason),
        )
        await access.write_entry(
            connection, granted, AccessAction.EMERGENCY_OPEN, "EmergencyAccess", emergency.id
        )
        medecin_traitant = await connection.scalar(
            select(CareRelationship.professional_id).where(
                CareRelationship.patient_id == patient_id, CareRelationship.role == CareRole.MEDECIN_TRAITANT
            )
        )
        await outbox.emit(
            connection,
            outbox.EventKind.EMERGENCY_ACCESS_OPENED,
            patient_id,
            {
                "emergencyAccessId": str(emergency.id),
                "professionalId": str(professional_id),
                "professionalName": principal.display_name,
                "reason": reason,
                "regulation": regulation,
                "openedAt": opened_at.isoformat(),
                "expiresAt": emergency.expires_at.isoformat(),
                # The patient and the médecin traitant are told (DOMAIN.md).
                "notify": ["patient", *([f"professional:{medecin_traitant}"] if medecin_traitant else [])],
            },
        )
    access.forget_facts(patient_id)
    return emergency
