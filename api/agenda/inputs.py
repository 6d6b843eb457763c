"""What the prevention rules read about one space, gathered from each area's
own service (the directory, the profile, the dossier, the reimbursements, the
patient's marks and the enabled plugins' evidence). Read only when the agenda
is recomputed: whether it must be is api/agenda/staleness.py's business."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api import plugins
from api.agenda.evidence import Condition, Evidence, EvidenceKind, Person
from api.agenda.models import AgendaItem, ItemStatus
from api.directory import queries as directory
from api.dossier import service as dossier
from api.profile import service as profile
from api.reimbursements import service as reimbursements


@dataclass(frozen=True, slots=True)
class RuleInputs:
    person: Person
    evidence: tuple[Evidence, ...]


async def rule_inputs(connection: AsyncConnection, patient_id: uuid.UUID) -> RuleInputs | None:
    """None when the space does not exist."""
    patient = (await directory.patients_by_ids(connection, [patient_id])).get(patient_id)
    if patient is None:
        return None
    found = await profile.agenda_inputs(connection, patient_id)
    evidence = [
        *(
            Evidence(EvidenceKind.VACCINATION, day, label=label, ref=ref)
            for ref, label, day in found.vaccinations
        ),
        *(
            Evidence(EvidenceKind.MEASUREMENT, day, code=kind, ref=ref)
            for ref, kind, day in found.measurements
        ),
        *(
            Evidence(EvidenceKind.DOCUMENT, day, code=code, label=title, ref=ref)
            for ref, code, title, day in await dossier.agenda_evidence(connection, patient_id)
        ),
        *(
            Evidence(EvidenceKind.ACT, day, code=code, label=label, ref=ref)
            for ref, code, label, day in await reimbursements.agenda_evidence(connection, patient_id)
        ),
        *await _marks(connection, patient_id),
    ]
    for plugin in plugins.active().enabled:
        for source in plugin.evidence:
            evidence.extend(await source(connection, patient_id))
    sex = patient.sex if patient.sex in ("F", "M") else None
    person = Person(
        birth_date=patient.birth_date,
        sex=sex,  # type: ignore[arg-type]
        conditions=tuple(Condition(label, since=since) for label, since in found.conditions),
    )
    return RuleInputs(person, tuple(evidence))


async def _marks(connection: AsyncConnection, patient_id: uuid.UUID) -> list[Evidence]:
    """What the patient marked done themselves."""
    rows = await connection.execute(
        select(AgendaItem.id, AgendaItem.key, AgendaItem.done_on).where(
            AgendaItem.patient_id == patient_id,
            AgendaItem.rule_code.is_not(None),
            AgendaItem.decided_by_patient.is_(True),
            AgendaItem.status == ItemStatus.DONE.value,
        )
    )
    return [
        Evidence(EvidenceKind.MARKED_DONE, row.done_on or date.min, code=row.key, ref=str(row.id))
        for row in rows
        if row.done_on is not None
    ]
