"""The plugin's own tables: readings stored by the hook, targets set by the
care team, and the evidence the agenda reads. Callers bring the connection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.agenda.evidence import Evidence, EvidenceKind
from api.db import utcnow
from api.plugin_context import evidence_documents
from plugins.glycemia.extract import Reading
from plugins.glycemia.logic import Hba1c, Source
from plugins.glycemia.models import LabReading, Target


@dataclass(frozen=True, slots=True)
class TargetRecord:
    max_percent: float
    set_by_name: str
    set_at: datetime


async def store_readings(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    document_id: uuid.UUID,
    found: list[Reading],
    *,
    fallback_day: date,
    source: str,
) -> int:
    """Insert the readings this document does not have yet; how many were added."""
    present = {
        (row.measured_on, row.value)
        for row in await connection.execute(
            select(LabReading.measured_on, LabReading.value).where(LabReading.document_id == document_id)
        )
    }
    rows = []
    for reading in found:
        key = (reading.measured_on or fallback_day, reading.value)
        if key in present:
            continue
        present.add(key)
        rows.append(
            {
                "patient_id": patient_id,
                "document_id": document_id,
                "value": reading.value,
                "unit": reading.unit,
                "measured_on": key[0],
                "source": source,
                "created_at": utcnow(),
            }
        )
    if rows:
        await connection.execute(insert(LabReading), rows)
    return len(rows)


async def forget_document(connection: AsyncConnection, patient_id: uuid.UUID, document_id: uuid.UUID) -> None:
    await connection.execute(
        delete(LabReading).where(LabReading.patient_id == patient_id, LabReading.document_id == document_id)
    )


async def lab_readings(connection: AsyncConnection, patient_id: uuid.UUID) -> list[Hba1c]:
    """Every lab reading of the space, newest first; the caller keeps the visible ones."""
    rows = await connection.execute(
        select(
            LabReading.id, LabReading.document_id, LabReading.value, LabReading.unit, LabReading.measured_on
        )
        .where(LabReading.patient_id == patient_id)
        .order_by(LabReading.measured_on.desc(), LabReading.id.desc())
    )
    return [
        Hba1c(row.value, row.unit, row.measured_on, Source.LAB_RESULT, row.id, row.document_id)
        for row in rows
    ]


async def target(connection: AsyncConnection, patient_id: uuid.UUID) -> TargetRecord | None:
    row = (
        await connection.execute(
            select(Target.max_percent, Target.set_by_name, Target.set_at).where(
                Target.patient_id == patient_id
            )
        )
    ).first()
    return TargetRecord(*row) if row else None


async def set_target(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    max_percent: float,
    *,
    set_by_name: str,
    set_by_professional_id: uuid.UUID | None,
) -> tuple[TargetRecord, bool]:
    """Set (or replace) the target; True when it was new. Two first settings at
    once do not clash: the one that finds the other's row replaces it."""
    values = {
        "max_percent": max_percent,
        "set_by_name": set_by_name,
        "set_by_professional_id": set_by_professional_id,
        "set_at": utcnow(),
    }
    upsert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    inserted = await connection.execute(
        upsert(Target)
        .values(patient_id=patient_id, **values)
        .on_conflict_do_nothing(index_elements=["patient_id"])
    )
    created = bool(inserted.rowcount)
    if not created:
        await connection.execute(update(Target).where(Target.patient_id == patient_id).values(**values))
    return TargetRecord(max_percent, set_by_name, values["set_at"]), created


async def agenda_evidence(connection: AsyncConnection, patient_id: uuid.UUID) -> list[Evidence]:
    """HbA1c found in lab results, for the diabetes follow-up: only from the documents
    that may serve as evidence (api.plugin_context.evidence_documents)."""
    rows = (
        await connection.execute(
            select(LabReading.id, LabReading.document_id, LabReading.measured_on)
            .where(LabReading.patient_id == patient_id)
            .order_by(LabReading.id)
        )
    ).all()
    allowed = await evidence_documents(connection, patient_id, {row.document_id for row in rows})
    return [
        Evidence(EvidenceKind.MEASUREMENT, row.measured_on, code="HBA1C", ref=str(row.id))
        for row in rows
        if row.document_id in allowed
    ]
