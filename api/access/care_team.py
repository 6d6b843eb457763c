"""The care team: who takes care of a patient, declared by the patient (or a
legal representative), as médecin traitant, or by the professional with the
patient's consent; and the professionals the patient blocked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.models import Block, CareRelationship, CareRole
from api.access.policy import Action, Relation, SpaceDecision, SpacePart, may_self_declare
from api.access.service import REASON_MIN_LENGTH, Access, SpaceAccess, patient_side
from api.db import utcnow
from api.directory.models import Professional
from api.errors import BadUserInput, Forbidden
from api.identity.principal import PrincipalKind
from api.journal import outbox
from api.journal.records import AccessAction
from api.text import clean_text


@dataclass(frozen=True, slots=True)
class CareTeamMember:
    professional_id: uuid.UUID
    role: str
    since: date


async def care_team(access: Access, patient_id: uuid.UUID) -> list[CareTeamMember]:
    granted = await access.space(patient_id, Action.READ, SpacePart.CARE_TEAM)
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(CareRelationship.professional_id, CareRelationship.role, CareRelationship.since)
            .where(CareRelationship.patient_id == patient_id)
            .order_by(CareRelationship.since, CareRelationship.professional_id)
        )
        members = [CareTeamMember(*row) for row in rows]
    access.read(granted, "CareTeam", patient_id)
    return members


async def blocked_professionals(access: Access, patient_id: uuid.UUID) -> list[uuid.UUID]:
    granted = await patient_side(access, patient_id, Action.READ)
    async with access.database.read() as connection:
        rows = await connection.scalars(
            select(Block.professional_id).where(Block.patient_id == patient_id).order_by(Block.created_at)
        )
        blocked = list(rows)
    access.read(granted, "BlockedProfessionals", patient_id)
    return blocked


async def _require_professional(connection: AsyncConnection, professional_id: uuid.UUID) -> None:
    found = await connection.scalar(select(Professional.id).where(Professional.id == professional_id))
    if found is None:
        raise BadUserInput("No such professional.", field="professionalId")


async def block_professional(access: Access, patient_id: uuid.UUID, professional_id: uuid.UUID) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        await _require_professional(connection, professional_id)
        exists = await connection.scalar(
            select(Block.professional_id).where(
                Block.patient_id == patient_id, Block.professional_id == professional_id
            )
        )
        if exists is None:
            session.add(Block(patient_id=patient_id, professional_id=professional_id, created_at=utcnow()))
            await session.flush()
            await access.write_entry(connection, granted, AccessAction.CREATE, "Block", professional_id)
    access.forget_facts(patient_id)


async def unblock_professional(access: Access, patient_id: uuid.UUID, professional_id: uuid.UUID) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        removed = await connection.execute(
            delete(Block).where(Block.patient_id == patient_id, Block.professional_id == professional_id)
        )
        if removed.rowcount:
            await access.write_entry(connection, granted, AccessAction.DELETE, "Block", professional_id)
    access.forget_facts(patient_id)


async def declare_care_relationship(
    access: Access,
    patient_id: uuid.UUID,
    *,
    professional_id: uuid.UUID | None,
    role: CareRole,
    consent_statement: str | None,
) -> None:
    """The patient (or legal representative) declares a professional, possibly as
    médecin traitant; or a professional declares themselves with the patient's consent."""
    principal = access.principal
    if principal.kind is PrincipalKind.PROFESSIONAL:
        await _self_declare(access, patient_id, consent_statement)
        return
    if professional_id is None:
        raise BadUserInput("Name the professional.", field="professionalId")
    if role is CareRole.SELF_DECLARED:
        raise BadUserInput("Only a professional declares themselves.", field="role")
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        await _require_professional(connection, professional_id)
        blocked = await connection.scalar(
            select(Block.professional_id).where(
                Block.patient_id == patient_id, Block.professional_id == professional_id
            )
        )
        if blocked is not None:
            raise BadUserInput("This professional is blocked; unblock them first.", field="professionalId")
        if role is CareRole.MEDECIN_TRAITANT:
            # One médecin traitant: the previous one stays in the care team.
            await connection.execute(
                update(CareRelationship)
                .where(
                    CareRelationship.patient_id == patient_id,
                    CareRelationship.role == CareRole.MEDECIN_TRAITANT,
                    CareRelationship.professional_id != professional_id,
                )
                .values(role=CareRole.DECLARED_BY_PATIENT)
            )
        await _upsert_relationship(
            connection,
            patient_id=patient_id,
            professional_id=professional_id,
            role=role,
            declared_by=principal.account_id,
            consent=None,
        )
        await access.write_entry(
            connection, granted, AccessAction.CREATE, "CareRelationship", professional_id
        )
    access.forget_facts(patient_id)


async def _self_declare(access: Access, patient_id: uuid.UUID, consent_statement: str | None) -> None:
    principal = access.principal
    statement = clean_text(
        consent_statement or "",
        field="consentStatement",
        min_length=REASON_MIN_LENGTH,
        what="The record of the patient's consent",
    )
    facts = await access.facts(patient_id)
    if not may_self_declare(principal, facts):
        raise Forbidden("You may not join this care team.")
    professional_id = principal.professional_id
    if professional_id is None:  # a professional principal always has one
        raise Forbidden("You may not join this care team.")
    async with access.database.session() as session:
        connection = await session.connection()
        if facts.care_role is None:
            await _upsert_relationship(
                connection,
                patient_id=patient_id,
                professional_id=professional_id,
                role=CareRole.SELF_DECLARED,
                declared_by=principal.account_id,
                consent=statement,
            )
        granted = SpaceAccess(patient_id, facts, SpaceDecision(True, Relation.CARE_TEAM))
        await access.write_entry(
            connection, granted, AccessAction.CREATE, "CareRelationship", professional_id
        )
        await outbox.emit(
            connection,
            outbox.EventKind.CARE_RELATIONSHIP_DECLARED,
            patient_id,
            {
                "professionalId": str(professional_id),
                "professionalName": principal.display_name,
                "consent": statement,
            },
        )
    access.forget_facts(patient_id)


async def _upsert_relationship(
    connection: AsyncConnection,
    *,
    patient_id: uuid.UUID,
    professional_id: uuid.UUID,
    role: CareRole,
    declared_by: uuid.UUID,
    consent: str | None,
) -> None:
    changed = await connection.execute(
        update(CareRelationship)
        .where(CareRelationship.patient_id == patient_id, CareRelationship.professional_id == professional_id)
        .values(role=role)
    )
    if not changed.rowcount:
        await connection.execute(
            CareRelationship.__table__.insert().values(
                patient_id=patient_id,
                professional_id=professional_id,
                role=role,
                since=utcnow().date(),
                declared_by_account_id=declared_by,
                consent_statement=consent,
                created_at=utcnow(),
            )
        )


async def end_care_relationship(access: Access, patient_id: uuid.UUID, professional_id: uuid.UUID) -> None:
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        removed = await connection.execute(
            delete(CareRelationship).where(
                CareRelationship.patient_id == patient_id, CareRelationship.professional_id == professional_id
            )
        )
        if not removed.rowcount:
            raise BadUserInput("This professional is not in the care team.", field="professionalId")
        await access.write_entry(
            connection, granted, AccessAction.DELETE, "CareRelationship", professional_id
        )
    access.forget_facts(patient_id)
