"""Caregivers (proches aidants): the patient designates a person, with the parts
of the space they may read, for a limited time (setting: 18 months),
renewable by the patient and ended at any time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from api.access.models import Representation, RepresentationKind
from api.access.policy import Action, SpacePart
from api.access.service import Access, patient_side
from api.db import utcnow
from api.directory.identifiers import is_valid_ins
from api.directory.models import Patient
from api.errors import BadUserInput
from api.journal.records import AccessAction

# What may be delegated: reading parts of the space, never its settings or care team.
DELEGABLE_PARTS = frozenset(
    {
        SpacePart.DOCUMENTS,
        SpacePart.PROFILE,
        SpacePart.REIMBURSEMENTS,
        SpacePart.AGENDA,
        SpacePart.MESSAGES,
        SpacePart.JOURNAL,
    }
)


@dataclass(frozen=True, slots=True)
class RepresentativeRecord:
    person_id: uuid.UUID
    display_name: str
    kind: str
    parts: list[str]
    expires_at: datetime | None


async def representatives(access: Access, patient_id: uuid.UUID) -> list[RepresentativeRecord]:
    granted = await patient_side(access, patient_id, Action.READ)
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(
                Representation.representative_id,
                Patient.given_name,
                Patient.family_name,
                Representation.kind,
                Representation.parts,
                Representation.expires_at,
            )
            .join(Patient, Patient.id == Representation.representative_id)
            .where(Representation.patient_id == patient_id)
            .order_by(Representation.created_at, Representation.representative_id)
        )
        found = [
            RepresentativeRecord(row[0], f"{row[1]} {row[2]}", row[3], row[4].split(), row[5]) for row in rows
        ]
    access.read(granted, "Representatives", patient_id)
    return found


async def designate_caregiver(
    access: Access, patient_id: uuid.UUID, *, caregiver_ins: str, parts: list[SpacePart]
) -> None:
    """Designate (or re-designate with other parts) a caregiver, found by INS."""
    granted = await patient_side(access, patient_id, Action.UPDATE)
    chosen = sorted(set(parts))
    if not chosen:
        raise BadUserInput("Choose at least one part of the space.", field="parts")
    refused = [part.value for part in chosen if part not in DELEGABLE_PARTS]
    if refused:
        raise BadUserInput(f"These parts cannot be delegated: {', '.join(refused)}.", field="parts")
    ins = caregiver_ins.strip().upper()
    if not is_valid_ins(ins):
        raise BadUserInput("This is not a valid INS.", field="caregiverIns")
    async with access.database.session() as session:
        caregiver_id = await session.scalar(select(Patient.id).where(Patient.ins == ins))
        if caregiver_id is None:
            raise BadUserInput("No person has this INS.", field="caregiverIns")
        if caregiver_id == patient_id:
            raise BadUserInput("A patient is not their own caregiver.", field="caregiverIns")
        existing = await session.get(
            Representation, {"patient_id": patient_id, "representative_id": caregiver_id}
        )
        if existing is not None and existing.kind == RepresentationKind.LEGAL_REPRESENTATIVE:
            raise BadUserInput("This person is already a legal representative.", field="caregiverIns")
        expires_at = utcnow() + access.caregiver_duration
        if existing is None:
            session.add(
                Representation(
                    patient_id=patient_id,
                    representative_id=caregiver_id,
                    kind=RepresentationKind.CAREGIVER,
                    parts=" ".join(part.value for part in chosen),
                    expires_at=expires_at,
                    created_at=utcnow(),
                )
            )
        else:
            existing.parts, existing.expires_at = " ".join(part.value for part in chosen), expires_at
        await session.flush()
        await access.write_entry(
            await session.connection(), granted, AccessAction.CREATE, "Caregiver", caregiver_id
        )
    access.forget_facts(patient_id)


async def renew_caregiver(access: Access, patient_id: uuid.UUID, caregiver_id: uuid.UUID) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        renewed = await connection.execute(
            update(Representation)
            .where(
                Representation.patient_id == patient_id,
                Representation.representative_id == caregiver_id,
                Representation.kind == RepresentationKind.CAREGIVER,
            )
            .values(expires_at=utcnow() + access.caregiver_duration)
        )
        if not renewed.rowcount:
            raise BadUserInput("This person is not a caregiver of this space.", field="caregiverId")
        await access.write_entry(connection, granted, AccessAction.UPDATE, "Caregiver", caregiver_id)


async def end_caregiver(access: Access, patient_id: uuid.UUID, caregiver_id: uuid.UUID) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        ended = await connection.execute(
            delete(Representation).where(
                Representation.patient_id == patient_id,
                Representation.representative_id == caregiver_id,
                Representation.kind == RepresentationKind.CAREGIVER,
            )
        )
        if not ended.rowcount:
            raise BadUserInput("This person is not a caregiver of this space.", field="caregiverId")
        await access.write_entry(connection, granted, AccessAction.DELETE, "Caregiver", caregiver_id)
    access.forget_facts(patient_id)
