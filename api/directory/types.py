"""GraphQL types of the directory: professionals, organizations, and the
identity part of a patient's space."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from api.directory import service
from api.directory.records import OrganizationRecord, PatientRecord, ProfessionalRecord
from api.errors import BadUserInput, Forbidden
from api.graphql.context import Info
from api.graphql.ids import decode_id, encode_id
from api.graphql.permissions import any_patient_scope, first_party_only
from api.identity.principal import PrincipalKind

if TYPE_CHECKING:
    from api.graphql.patient import Patient

PatientRef = Annotated["Patient", strawberry.lazy("api.graphql.patient")]


@strawberry.type(description="A health organization: practice, pharmacy, laboratory, establishment.")
class Organization(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name of the organization.")
    kind: str = strawberry.field(
        description="Sector: PRIVATE_PRACTICE, PHARMACY, LABORATORY, ESTABLISHMENT, MEDICO_SOCIAL."
    )
    finess: str | None = strawberry.field(description="FINESS number.")

    @classmethod
    def from_record(cls, record: OrganizationRecord) -> Organization:
        return cls(id=str(record.id), name=record.name, kind=record.kind, finess=record.finess)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Organization | None]:
        access = info.context.require_access()
        loader = info.context.loaders.organization_by_id
        records = await asyncio.gather(
            *(service.read_organization(access, loader, uuid.UUID(i)) for i in node_ids)
        )
        return [cls.from_record(r) if r else None for r in records]


@strawberry.type(description="A health professional of the national directory (RPPS).")
class Professional(relay.Node):
    id: relay.NodeID[str]
    display_name: str = strawberry.field(description="Name as shown to patients.")
    rpps: str | None = strawberry.field(description="RPPS number.")
    profession: str = strawberry.field(description="Profession, e.g. physician, pharmacist, nurse.")
    specialty: str | None = strawberry.field(description="Specialty, e.g. general medicine.")
    organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_record(cls, record: ProfessionalRecord) -> Professional:
        return cls(
            id=str(record.id),
            display_name=record.display_name,
            rpps=record.rpps,
            profession=record.profession,
            specialty=record.specialty,
            organization_id=record.organization_id,
        )

    @strawberry.field(description="The organization the professional works in.")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        access = info.context.require_access()
        loader = info.context.loaders.organization_by_id
        record = await service.read_organization(access, loader, self.organization_id)
        return Organization.from_record(record) if record else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Professional | None]:
        access = info.context.require_access()
        loader = info.context.loaders.professional_by_id
        records = await service.read_professionals(access, loader, [uuid.UUID(i) for i in node_ids])
        return [cls.from_record(r) if r else None for r in records]


@strawberry.type
class PatientFields:
    """What every area's part of `Patient` stands on: the holder's record."""

    record: strawberry.Private[PatientRecord]


@strawberry.type
class PatientIdentityFields(PatientFields):
    """The identity part of `Patient`; other areas add theirs beside it."""

    display_name: str = strawberry.field(description="The holder's name.")
    birth_date: date = strawberry.field(description="The holder's date of birth.")


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="A patient's space. Without id: the space the token acts for (a patient's own, "
        "a representative's or an app's); professionals name the patient.",
        **any_patient_scope(),
    )
    async def patient(self, info: Info, id: strawberry.ID | None = None) -> PatientRef | None:
        from api.graphql.patient import Patient

        access = info.context.require_access()
        principal = access.principal
        if id is not None:
            patient_id = decode_id(id, "Patient")[1]
        elif principal.acting_for is not None:
            patient_id = principal.acting_for
        elif principal.kind is PrincipalKind.PROFESSIONAL:
            raise BadUserInput("Name the patient: patient(id: ...).", field="id")
        else:
            raise Forbidden("This principal acts for no patient.")
        loader = info.context.loaders.patient_by_id
        return Patient.from_record(await service.read_patient(access, loader, patient_id))

    @strawberry.field(
        description="A patient found by national health identifier (INS), for professionals. Outside "
        "the care team: FORBIDDEN, with extensions.patientId for an emergency access.",
        **first_party_only(),
    )
    async def patient_by_ins(self, info: Info, ins: str) -> PatientRef | None:
        from api.graphql.patient import Patient

        access = info.context.require_access()
        patient_id = await service.patient_id_by_ins(access, info.context.database, ins)
        loader = info.context.loaders.patient_by_id
        try:
            record = await service.read_patient(access, loader, patient_id)
        except Forbidden as refusal:
            raise Forbidden(refusal.message, patientId=encode_id("Patient", patient_id)) from refusal
        return Patient.from_record(record)
