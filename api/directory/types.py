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
from api.graphql.ids import decode_id
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
        principal = info.context.require_principal()
        loader = info.context.loaders.organization_by_id
        records = await asyncio.gather(
            *(service.read_organization(principal, loader, uuid.UUID(i)) for i in node_ids)
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
        principal = info.context.require_principal()
        loader = info.context.loaders.organization_by_id
        record = await service.read_organization(principal, loader, self.organization_id)
        return Organization.from_record(record) if record else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Professional | None]:
        principal = info.context.require_principal()
        loader = info.context.loaders.professional_by_id
        records = await asyncio.gather(
            *(service.read_professional(principal, loader, uuid.UUID(i)) for i in node_ids)
        )
        return [cls.from_record(r) if r else None for r in records]


@strawberry.type
class PatientIdentityFields:
    """The identity part of `Patient`; other areas add theirs beside it."""

    display_name: str = strawberry.field(description="The holder's name.")
    birth_date: date = strawberry.field(description="The holder's date of birth.")
    record: strawberry.Private[PatientRecord]


@strawberry.type
class DirectoryQuery:
    @strawberry.field(
        description="A patient's space. Without id: the token's own patient (patient, app "
        "acting for a patient); professionals name the patient."
    )
    async def patient(self, info: Info, id: strawberry.ID | None = None) -> PatientRef | None:  # noqa: A002
        from api.graphql.patient import Patient

        principal = info.context.require_principal()
        if id is not None:
            patient_id = decode_id(id, "Patient")[1]
        elif principal.acting_for is not None:
            patient_id = principal.acting_for
        elif principal.kind is PrincipalKind.PROFESSIONAL:
            raise BadUserInput("Name the patient: patient(id: ...).", field="id")
        else:
            raise Forbidden("This principal acts for no patient.")
        loader = info.context.loaders.patient_by_id
        return Patient.from_record(await service.read_patient(principal, loader, patient_id))
