"""Operations of the directory, each taking the principal and asking the policy."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from api.access.policy import Action, require_directory, require_space
from api.directory.loaders import OrganizationByIdLoader, PatientByIdLoader, ProfessionalByIdLoader
from api.directory.records import OrganizationRecord, PatientRecord, ProfessionalRecord
from api.errors import NotFound
from api.identity.principal import Principal


async def read_patient(
    principal: Principal, loader: PatientByIdLoader, patient_id: uuid.UUID
) -> PatientRecord:
    """The holder of a space the principal may read; FORBIDDEN before NOT_FOUND,
    so that a refusal never tells whether a space exists."""
    require_space(principal, patient_id, Action.READ)
    record = await loader.load(patient_id)
    if record is None:
        raise NotFound("No such patient.")
    return record


async def read_patients(
    principal: Principal, loader: PatientByIdLoader, patient_ids: Sequence[uuid.UUID]
) -> list[PatientRecord]:
    """Several spaces in one batch; the first refused or missing one raises."""
    for patient_id in patient_ids:
        require_space(principal, patient_id, Action.READ)
    records = await loader.load_many(patient_ids)
    if any(record is None for record in records):
        raise NotFound("No such patient.")
    return records


async def read_professional(
    principal: Principal, loader: ProfessionalByIdLoader, professional_id: uuid.UUID
) -> ProfessionalRecord | None:
    require_directory(principal)
    return await loader.load(professional_id)


async def read_organization(
    principal: Principal, loader: OrganizationByIdLoader, organization_id: uuid.UUID
) -> OrganizationRecord | None:
    require_directory(principal)
    return await loader.load(organization_id)
