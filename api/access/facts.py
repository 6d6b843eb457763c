"""What the policy needs to know about a principal and a space, loaded in one
statement per batch of spaces (`SpaceFactsLoader`), once per request."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from api.access.models import AccessPreferences, Block, CareRelationship, EmergencyAccess, Representation
from api.db import Database, utcnow
from api.directory.models import Patient, SpaceStatus
from api.identity.principal import Principal

NO_ID = uuid.UUID(int=0)


@dataclass(frozen=True, slots=True)
class EmergencyFacts:
    id: uuid.UUID
    reason: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SpaceFacts:
    """Everything about one (principal, space) pair that the rules look at."""

    patient_id: uuid.UUID
    exists: bool
    open: bool = False
    is_self: bool = False
    representation_kind: str | None = None
    representation_parts: frozenset[str] = frozenset()
    representation_expires_at: datetime | None = None
    care_role: str | None = None
    blocked: bool = False
    emergency: EmergencyFacts | None = None
    refuses_emergency: bool = False


@cache
def _facts_query() -> Select[Any]:
    """Built once, its values bound per call: this statement runs on every request
    that opens a space, and building it costs more than running it."""
    person_id = bindparam("person_id", type_=Patient.id.type)
    professional_id = bindparam("professional_id", type_=Patient.id.type)
    now = bindparam("now", type_=EmergencyAccess.expires_at.type)
    candidate = aliased(EmergencyAccess)
    latest_emergency = (
        select(candidate.id)
        .where(
            candidate.patient_id == Patient.id,
            candidate.professional_id == professional_id,
            candidate.expires_at > now,
        )
        .order_by(candidate.expires_at.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    return (
        select(
            Patient.id,
            Patient.status,
            (Patient.id == person_id).label("is_self"),
            Representation.kind,
            Representation.parts,
            Representation.expires_at,
            CareRelationship.role,
            (Block.professional_id.is_not(None)).label("blocked"),
            EmergencyAccess.id.label("emergency_id"),
            EmergencyAccess.reason,
            EmergencyAccess.expires_at.label("emergency_expires_at"),
            AccessPreferences.refuses_emergency_access,
        )
        .outerjoin(
            Representation,
            and_(Representation.patient_id == Patient.id, Representation.representative_id == person_id),
        )
        .outerjoin(
            CareRelationship,
            and_(
                CareRelationship.patient_id == Patient.id, CareRelationship.professional_id == professional_id
            ),
        )
        .outerjoin(Block, and_(Block.patient_id == Patient.id, Block.professional_id == professional_id))
        .outerjoin(
            EmergencyAccess,
            and_(EmergencyAccess.patient_id == Patient.id, EmergencyAccess.id == latest_emergency),
        )
        .outerjoin(AccessPreferences, AccessPreferences.patient_id == Patient.id)
        .where(Patient.id.in_(bindparam("patient_ids", expanding=True)))
    )


async def load_space_facts(
    connection: AsyncConnection, principal: Principal, patient_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, SpaceFacts]:
    values = {
        "person_id": principal.patient_id or NO_ID,
        "professional_id": principal.professional_id or NO_ID,
        "now": now,
        "patient_ids": list(patient_ids),
    }
    facts = {}
    for row in await connection.execute(_facts_query(), values):
        emergency = (
            EmergencyFacts(row.emergency_id, row.reason, row.emergency_expires_at)
            if row.emergency_id
            else None
        )
        facts[row.id] = SpaceFacts(
            patient_id=row.id,
            exists=True,
            open=row.status == SpaceStatus.OPEN,
            is_self=bool(row.is_self),
            representation_kind=row.kind,
            representation_parts=frozenset((row.parts or "").split()),
            representation_expires_at=row.expires_at,
            care_role=row.role,
            blocked=bool(row.blocked),
            emergency=emergency,
            refuses_emergency=bool(row.refuses_emergency_access),
        )
    return facts


class SpaceFactsLoader(DataLoader[uuid.UUID, SpaceFacts]):
    """Facts of the request's principal about each space, one statement per batch.

    Built per request, so a block or a new relationship is seen on the next request.
    """

    def __init__(self, database: Database, principal: Principal) -> None:
        super().__init__()
        self._database = database
        self._principal = principal

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[SpaceFacts]:
        async with self._database.read() as connection:
            found = await load_space_facts(connection, self._principal, list(set(keys)), utcnow())
        return [found.get(key) or SpaceFacts(patient_id=key, exists=False) for key in keys]
