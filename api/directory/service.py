"""Operations of the directory, each taking the request's `Access`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.db import Database
from api.directory import queries
from api.directory.identifiers import is_valid_ins
from api.directory.loaders import OrganizationByIdLoader, PatientByIdLoader, ProfessionalByIdLoader
from api.directory.records import OrganizationRecord, PatientRecord, ProfessionalRecord
from api.errors import BadUserInput, Forbidden, NotFound
from api.identity.principal import PrincipalKind


async def read_patient(access: Access, loader: PatientByIdLoader, patient_id: uuid.UUID) -> PatientRecord:
    """The holder of a space the principal may open; FORBIDDEN whether or not it
    exists, so that a refusal never tells."""
    granted = await access.space(patient_id, Action.READ, SpacePart.IDENTITY)
    record = await loader.load(patient_id)
    if record is None:
        raise NotFound("No such patient.")
    access.read(granted, "Patient", patient_id)
    return record


async def read_patients(
    access: Access, loader: PatientByIdLoader, patient_ids: Sequence[uuid.UUID]
) -> list[PatientRecord]:
    """Several spaces in one batch; the first refused or missing one raises."""
    granted = await asyncio.gather(
        *(access.space(patient_id, Action.READ, SpacePart.IDENTITY) for patient_id in patient_ids)
    )
    records = await loader.load_many(patient_ids)
    found = [record for record in records if record is not None]
    if len(found) != len(records):
        raise NotFound("No such patient.")
    for space in granted:
        access.read(space, "Patient", space.patient_id)
    return found


async def patient_id_by_ins(access: Access, database: Database, ins: str) -> uuid.UUID:
    """A space found by INS, for professionals; FORBIDDEN outside the care team,
    naming the space so that an emergency access can be asked for."""
    if access.principal.kind is not PrincipalKind.PROFESSIONAL:
        raise Forbidden("Only professionals look patients up by INS.")
    ins = ins.strip().upper()
    if not is_valid_ins(ins):
        raise BadUserInput("This is not a valid INS (15 characters with a correct key).", field="ins")
    async with database.read() as connection:
        patient_id = await queries.patient_id_by_ins(connection, ins)
    if patient_id is None:
        raise NotFound("No space has this INS.")
    return patient_id


async def read_professional(
    access: Access, loader: ProfessionalByIdLoader, professional_id: uuid.UUID
) -> ProfessionalRecord | None:
    """The directory of professionals is public reference data (as the national
    Annuaire Santé is): any authenticated principal reads it, unjournaled."""
    del access
    return await loader.load(professional_id)


async def read_professionals(
    access: Access, loader: ProfessionalByIdLoader, professional_ids: Sequence[uuid.UUID]
) -> list[ProfessionalRecord | None]:
    del access
    return await loader.load_many(professional_ids)


async def read_organization(
    access: Access, loader: OrganizationByIdLoader, organization_id: uuid.UUID
) -> OrganizationRecord | None:
    del access
    return await loader.load(organization_id)
