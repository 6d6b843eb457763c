"""The plugin's own table: filled by the deposit hook, read by the status
resolver and by the agenda (as evidence)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.agenda.evidence import Evidence, EvidenceKind
from api.dossier.records import DocumentStatus
from api.plugin_context import HookContext, evidence_documents
from api.plugins import HookEvent
from plugins.vaccination.immunizations import IMMUNIZATION_TYPES, read_immunizations
from plugins.vaccination.models import VaccinationRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recorded:
    id: uuid.UUID
    document_id: uuid.UUID
    label: str
    code: str | None
    given_on: date


async def on_document_added(event: HookEvent, context: HookContext) -> None:
    """Read the vaccinations of a deposited immunization note, once. Anything
    unreadable records nothing and returns: the event is acknowledged."""
    if event.patient_id is None or event.payload.get("typeCode") not in IMMUNIZATION_TYPES:
        return
    try:
        document_id = uuid.UUID(str(event.payload.get("documentId")))
    except ValueError:
        return
    connection = context.connection
    already = await connection.scalar(select(exists().where(VaccinationRecord.document_id == document_id)))
    if already:
        return  # the event came again: the note was read already
    found = await context.document(event.patient_id, document_id)
    if found is None:
        return  # deleted since, or not of this space
    if found.record.replaces_id is not None:
        # A corrected note: the vaccinations of the version it replaces are withdrawn,
        # even when this version was replaced in turn before its event came.
        await connection.execute(
            delete(VaccinationRecord).where(
                VaccinationRecord.patient_id == event.patient_id,
                VaccinationRecord.document_id == found.record.replaces_id,
            )
        )
    if found.record.status == DocumentStatus.REPLACED:
        return  # replaced already: its successor's vaccinations stand
    immunizations = read_immunizations(found.content)
    if not immunizations:
        logger.info("immunization note %s: no vaccination read", document_id)
        return
    await connection.execute(
        insert(VaccinationRecord),
        [
            {
                "patient_id": event.patient_id,
                "document_id": document_id,
                "position": position,
                "vaccine_label": item.label,
                "vaccine_code": item.code,
                "code_system": item.system,
                "given_on": item.given_on,
            }
            for position, item in enumerate(immunizations)
        ],
    )


async def recorded(connection: AsyncConnection, patient_id: uuid.UUID) -> list[Recorded]:
    """Every vaccination read from this space's notes, in one statement."""
    rows = await connection.execute(
        select(
            VaccinationRecord.id,
            VaccinationRecord.document_id,
            VaccinationRecord.vaccine_label,
            VaccinationRecord.vaccine_code,
            VaccinationRecord.given_on,
        )
        .where(VaccinationRecord.patient_id == patient_id)
        .order_by(VaccinationRecord.given_on, VaccinationRecord.id)
    )
    return [Recorded(*row) for row in rows]


async def agenda_evidence(connection: AsyncConnection, patient_id: uuid.UUID) -> Iterable[Evidence]:
    """The notes' vaccinations as agenda evidence: only from documents the
    patient's whole side may see (api.plugin_context.evidence_documents)."""
    rows = (
        await connection.execute(
            select(
                VaccinationRecord.id,
                VaccinationRecord.document_id,
                VaccinationRecord.vaccine_label,
                VaccinationRecord.given_on,
            )
            .where(VaccinationRecord.patient_id == patient_id)
            .order_by(VaccinationRecord.id)
        )
    ).all()
    allowed = await evidence_documents(connection, patient_id, {row.document_id for row in rows})
    return [
        Evidence(EvidenceKind.VACCINATION, row.given_on, label=row.vaccine_label, ref=str(row.id))
        for row in rows
        if row.document_id in allowed
    ]
