"""The access policy as one request sees it: `Access` decides with facts loaded
once per request and buffers the reads for the journal; `patient_side` and
`openable_spaces` answer the two questions every area asks.

The operations on access itself live beside it: care_team.py, emergency.py,
preferences.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.facts import SpaceFacts, SpaceFactsLoader
from api.access.models import Representation
from api.access.notices import notify_first_professional_access
from api.access.policy import (
    REPRESENTATIVE_RELATIONS,
    Action,
    Relation,
    SpaceDecision,
    SpacePart,
    journal_actor_kind,
    relation_of,
    space_decision,
)
from api.db import Database, utcnow
from api.directory.models import Patient, SpaceStatus
from api.errors import Forbidden
from api.identity.principal import Principal, PrincipalKind
from api.journal import service as journal
from api.journal.buffer import JournalBuffer
from api.journal.records import AccessAction, JournalRecord

# DOMAIN.md's default; the service passes ESPACE_EMERGENCY_ACCESS_DURATION.
EMERGENCY_DURATION = timedelta(hours=4)
CAREGIVER_DURATION = timedelta(days=548)  # 18 months
# Written reasons and consent records: long enough to mean something.
REASON_MIN_LENGTH = 10


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
        self,
        principal: Principal,
        database: Database,
        *,
        emergency_duration: timedelta = EMERGENCY_DURATION,
        caregiver_duration: timedelta = CAREGIVER_DURATION,
    ) -> None:
        self.principal = principal
        self.database = database
        self.journal = JournalBuffer()
        self.emergency_duration = emergency_duration
        self.caregiver_duration = caregiver_duration
        self._facts = SpaceFactsLoader(database, principal)

    async def facts(self, patient_id: uuid.UUID) -> SpaceFacts:
        return await self._facts.load(patient_id)

    def forget_facts(self, patient_id: uuid.UUID) -> None:
        """After a change to relationships, the next decision reloads them."""
        self._facts.clear(patient_id)

    async def space(self, patient_id: uuid.UUID, action: Action, part: SpacePart) -> SpaceAccess:
        """The access, or FORBIDDEN: the same answer whether the space exists or not
        (a refusal on a space that exists is journaled there)."""
        facts = await self.facts(patient_id)
        decision = space_decision(self.principal, facts, action, part, utcnow())
        if not decision.allowed:
            self.denied(facts, part.value.capitalize())
            raise Forbidden("You may not open this space.")
        return SpaceAccess(patient_id, facts, decision)

    def denied(self, facts: SpaceFacts, object_type: str, object_id: object | None = None) -> None:
        """Journal a refused attempt on a space that exists, written at the end of the
        request like the reads. Not for its patient nor their representatives: what
        they are refused is what is hidden from them, which their journal must not show."""
        if not facts.exists:
            return
        relation = relation_of(self.principal, facts, utcnow())
        if relation is Relation.SELF or relation in REPRESENTATIVE_RELATIONS:
            return
        principal = self.principal
        self.journal.add(
            JournalRecord(
                patient_id=facts.patient_id,
                at=utcnow(),
                actor_kind=principal.kind.value,
                actor_account_id=principal.account_id,
                actor_name=principal.app_name or principal.display_name,
                client_id=principal.client_id,
                action=AccessAction.DENIED,
                object_type=object_type,
                object_id=str(object_id) if object_id is not None else None,
                professional_id=principal.professional_id,
                profession=principal.profession,
                organization_name=principal.organization_name,
            )
        )

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


async def patient_side(access: Access, patient_id: uuid.UUID, action: Action) -> SpaceAccess:
    """Blocks and settings are the patient's (or legal representative's) alone."""
    granted = await access.space(patient_id, action, SpacePart.SETTINGS)
    if granted.relation not in (Relation.SELF, Relation.LEGAL_REPRESENTATIVE):
        raise Forbidden("Only the patient or a legal representative may do this.")
    return granted


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
