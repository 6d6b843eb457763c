"""The access policy as one request sees it (`Access`), and the operations on
care teams, blocks, emergency access and access preferences.

Every operation takes the request's `Access`, asks the policy, and journals
what anyone but the patient does, in the transaction of the change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.facts import SpaceFacts, SpaceFactsLoader
from api.access.models import (
    AccessPreferences,
    Block,
    CareRelationship,
    CareRole,
    EmergencyAccess,
    Representation,
)
from api.access.notices import notify_first_professional_access
from api.access.policy import (
    Action,
    Relation,
    SpaceDecision,
    SpacePart,
    journal_actor_kind,
    may_open_emergency,
    may_self_declare,
    relation_of,
    space_decision,
)
from api.db import Database, new_id, utcnow
from api.directory.models import Patient, Professional, SpaceStatus
from api.errors import BadUserInput, Forbidden
from api.identity.principal import Principal, PrincipalKind
from api.journal import outbox
from api.journal import service as journal
from api.journal.buffer import JournalBuffer
from api.journal.records import AccessAction, JournalRecord
from api.text import clean_text

REASON_MIN_LENGTH = 10
# DOMAIN.md's default; the service passes ESPACE_EMERGENCY_ACCESS_DURATION.
EMERGENCY_DURATION = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class SpaceAccess:
    """A granted access to one space: what the journal entry of each action needs."""

    patient_id: uuid.UUID
    facts: SpaceFacts
    decision: SpaceDecision

    @property
    def relation(self) -> Relation:
        return self.decision.relation


class Access:
    """One request's view of the policy: facts loaded once, reads buffered for the journal."""

    def __init__(
        self, principal: Principal, database: Database, *, emergency_duration: timedelta = EMERGENCY_DURATION
    ) -> None:
        self.principal = principal
        self.database = database
        self.journal = JournalBuffer()
        self.emergency_duration = emergency_duration
        self._facts = SpaceFactsLoader(database, principal)

    async def facts(self, patient_id: uuid.UUID) -> SpaceFacts:
        return await self._facts.load(patient_id)

    def forget_facts(self, patient_id: uuid.UUID) -> None:
        """After a change to relationships, the next decision reloads them."""
        self._facts.clear(patient_id)

    async def space(self, patient_id: uuid.UUID, action: Action, part: SpacePart) -> SpaceAccess:
        """The access, or FORBIDDEN: the same answer whether the space exists or not."""
        facts = await self.facts(patient_id)
        decision = space_decision(self.principal, facts, action, part, utcnow())
        if not decision.allowed:
            raise Forbidden("You may not open this space.")
        return SpaceAccess(patient_id, facts, decision)

    async def relation(self, patient_id: uuid.UUID) -> Relation:
        return relation_of(self.principal, await self.facts(patient_id), utcnow())

    def entry(
        self, access: SpaceAccess, action: AccessAction, object_type: str, object_id: object | None
    ) -> JournalRecord | None:
        """The journal entry of an action, or None when the patient acts in their own space."""
        kind = journal_actor_kind(self.principal, access.relation)
        if kind is None:
            return None
        principal = self.principal
        return JournalRecord(
            patient_id=access.patient_id,
            at=utcnow(),
            actor_kind=kind.value,
            actor_account_id=principal.account_id,
            actor_name=principal.app_name or principal.display_name,
            client_id=principal.client_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            emergency=access.decision.emergency,
            reason=access.decision.emergency_reason,
            professional_id=principal.professional_id,
            profession=principal.profession,
            organization_name=principal.organization_name,
        )

    async def flush(self) -> None:
        """Write the request's reads to the journal, with the notices they cause."""
        await self.journal.flush(self.database, then=notify_first_professional_access)

    def read(
        self, access: SpaceAccess, object_type: str, object_id: object | None, *, download: bool = False
    ) -> None:
        """Journal a read, written once at the end of the request."""
        action = AccessAction.DOWNLOAD if download else AccessAction.READ
        record = self.entry(access, action, object_type, object_id)
        if record is not None:
            self.journal.add(record)

    async def write_entry(
        self,
        connection: AsyncConnection,
        access: SpaceAccess,
        action: AccessAction,
        object_type: str,
        object_id: object | None,
    ) -> None:
        """Journal a change inside the transaction that makes it."""
        record = self.entry(access, action, object_type, object_id)
        if record is not None:
            await journal.append(connection, [record])


# --- care team ------------------------------------------------------------------


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


async def patient_side(access: Access, patient_id: uuid.UUID, action: Action) -> SpaceAccess:
    """Blocks and settings are the patient's (or legal representative's) alone."""
    granted = await access.space(patient_id, action, SpacePart.SETTINGS)
    if granted.relation not in (Relation.SELF, Relation.LEGAL_REPRESENTATIVE):
        raise Forbidden("Only the patient or a legal representative may do this.")
    return granted


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


# --- emergency access -------------------------------------------------------------


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


# --- preferences ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preferences:
    refuses_emergency_access: bool = False
    notify_new_professional: bool = True
    notify_new_document: bool = True


async def preferences(access: Access, patient_id: uuid.UUID) -> Preferences:
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


async def openable_spaces(access: Access) -> list[uuid.UUID]:
    """The spaces this principal may switch between: its own and those it represents
    (unexpired), or the one space its token acts for."""
    principal = access.principal
    if principal.kind in (PrincipalKind.REPRESENTATIVE, PrincipalKind.APP):
        return [principal.acting_for] if principal.acting_for else []
    if principal.patient_id is None:
        return []
    # Own space first, then those represented; closed spaces are opened by no one.
    own = select(Patient.id, literal(0).label("rank"), Patient.created_at.label("since")).where(
        Patient.id == principal.patient_id, Patient.status == SpaceStatus.OPEN
    )
    represented = (
        select(Representation.patient_id, literal(1).label("rank"), Representation.created_at.label("since"))
        .join(Patient, Patient.id == Representation.patient_id)
        .where(
            Representation.representative_id == principal.patient_id,
            (Representation.expires_at.is_(None)) | (Representation.expires_at > utcnow()),
            Patient.status == SpaceStatus.OPEN,
        )
    )
    spaces = union_all(own, represented).subquery()
    async with access.database.read() as connection:
        rows = await connection.scalars(
            select(spaces.c.id).order_by(spaces.c.rank, spaces.c.since, spaces.c.id)
        )
        return list(rows)
