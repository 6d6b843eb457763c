"""GraphQL of the medical profile."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry

from api.directory.types import PatientFields
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.ids import decode_id, encode_id
from api.graphql.pagination import MAX_CURSOR, PageInfo, decode_cursor, encode_cursor, page_info, page_size
from api.graphql.payloads import UserError
from api.graphql.permissions import scoped
from api.identity.scopes import Scope
from api.profile import service
from api.profile.models import EntryKind

CURSOR_KIND = "measurements"

strawberry.enum(EntryKind, description="What a profile entry is about.")


@strawberry.enum(description="A kind of measurement, with its UCUM units.")
class MeasurementKind(Enum):
    WEIGHT = "WEIGHT"
    HEIGHT = "HEIGHT"
    SYSTOLIC_BLOOD_PRESSURE = "SYSTOLIC_BLOOD_PRESSURE"
    DIASTOLIC_BLOOD_PRESSURE = "DIASTOLIC_BLOOD_PRESSURE"
    GLYCEMIA = "GLYCEMIA"
    HBA1C = "HBA1C"


@strawberry.type(description="An entry of the medical profile.")
class ProfileEntry:
    id: strawberry.ID = strawberry.field(description="Identifier.")
    kind: EntryKind = strawberry.field(description="Condition, treatment, allergy...")
    label: str = strawberry.field(description="What it is, in words.")
    details: str | None = strawberry.field(description="More about it.")
    occurred_on: date | None = strawberry.field(description="Since, or when.")
    entered_by: str = strawberry.field(description="Who entered it.")

    @classmethod
    def of(cls, record: service.EntryRecord) -> ProfileEntry:
        return cls(
            id=strawberry.ID(encode_id("ProfileEntry", record.id)),
            kind=EntryKind(record.kind),
            label=record.label,
            details=record.details,
            occurred_on=record.occurred_on,
            entered_by=record.entered_by_name,
        )


@strawberry.type(description="A measurement, in UCUM units.")
class Measurement:
    id: strawberry.ID = strawberry.field(description="Identifier.")
    kind: MeasurementKind = strawberry.field(description="What was measured.")
    value: float = strawberry.field(description="The value.")
    unit: str = strawberry.field(description="UCUM unit, e.g. kg, mm[Hg], g/L, %.")
    measured_at: datetime = strawberry.field(description="When.")
    entered_by: str = strawberry.field(description="Who entered it.")

    @classmethod
    def of(cls, record: service.MeasurementRecord) -> Measurement:
        return cls(
            id=strawberry.ID(encode_id("Measurement", record.id)),
            kind=MeasurementKind(record.kind),
            value=record.value,
            unit=record.unit,
            measured_at=record.measured_at,
            entered_by=record.entered_by_name,
        )


@strawberry.type(description="A measurement and its cursor.")
class MeasurementEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: Measurement = strawberry.field(description="The measurement.")


@strawberry.type(description="Measurements, newest first.")
class MeasurementConnection:
    edges: list[MeasurementEdge] = strawberry.field(description="This page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type(description="The medical profile of a space.")
class MedicalProfile:
    patient_id: strawberry.Private[uuid.UUID]
    all_entries: strawberry.Private[list[service.EntryRecord]]

    def _of(self, kind: EntryKind) -> list[ProfileEntry]:
        return [ProfileEntry.of(entry) for entry in self.all_entries if entry.kind == kind.value]

    @strawberry.field(description="Allergies.")
    def allergies(self) -> list[ProfileEntry]:
        return self._of(EntryKind.ALLERGY)

    @strawberry.field(description="Conditions and health topics.")
    def conditions(self) -> list[ProfileEntry]:
        return self._of(EntryKind.CONDITION)

    @strawberry.field(description="Treatments.")
    def treatments(self) -> list[ProfileEntry]:
        return self._of(EntryKind.TREATMENT)

    @strawberry.field(description="Vaccinations.")
    def vaccinations(self) -> list[ProfileEntry]:
        return self._of(EntryKind.VACCINATION)

    @strawberry.field(description="Family history.")
    def family_history(self) -> list[ProfileEntry]:
        return self._of(EntryKind.FAMILY_HISTORY)

    @strawberry.field(description="Advance directives.")
    def advance_directives(self) -> list[ProfileEntry]:
        return self._of(EntryKind.ADVANCE_DIRECTIVE)

    @strawberry.field(description="People to notify.")
    def people_to_notify(self) -> list[ProfileEntry]:
        return self._of(EntryKind.PERSON_TO_NOTIFY)

    @strawberry.field(description="Measurements, newest first.")
    async def measurements(
        self,
        info: Info,
        kind: MeasurementKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> MeasurementConnection:
        limit = page_size(first)
        position = decode_cursor(CURSOR_KIND, after, maximum=MAX_CURSOR)
        records, more = await service.measurements(
            info.context.require_access(),
            self.patient_id,
            kind=kind.value if kind else None,
            limit=limit,
            before=uuid.UUID(int=position) if position is not None else None,
        )
        edges = [
            MeasurementEdge(cursor=encode_cursor(CURSOR_KIND, r.id.int), node=Measurement.of(r))
            for r in records
        ]
        return MeasurementConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
        )


@strawberry.type
class PatientProfileFields(PatientFields):
    """The medical-profile part of `Patient`."""

    @strawberry.field(
        description="The medical profile. Read by the patient's side and the care team; journaled.",
        **scoped(Scope.PROFILE_READ),
    )
    async def profile(self, info: Info) -> MedicalProfile | None:
        found = await service.entries(info.context.require_access(), self.record.id)
        return MedicalProfile(patient_id=self.record.id, all_entries=found)


@strawberry.input(description="A new entry of the medical profile.")
class AddProfileEntryInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    kind: EntryKind = strawberry.field(description="What it is about.")
    label: str = strawberry.field(description="What it is, in words.")
    details: str | None = strawberry.field(default=None, description="More about it.")
    occurred_on: date | None = strawberry.field(default=None, description="Since, or when.")


@strawberry.input(description="A new measurement.")
class AddMeasurementInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    kind: MeasurementKind = strawberry.field(description="What was measured.")
    value: float = strawberry.field(description="The value.")
    unit: str = strawberry.field(description="UCUM unit.")
    measured_at: datetime | None = strawberry.field(default=None, description="When (default: now).")


@strawberry.type(description="The entry added.")
class ProfileEntryPayload:
    profile_entry: ProfileEntry | None = strawberry.field(description="The entry.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type(description="The measurement added.")
class MeasurementPayload:
    measurement: Measurement | None = strawberry.field(description="The measurement.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(
        description="Add an entry to the medical profile: the patient's side or the care team.",
        **scoped(Scope.PROFILE_WRITE),
    )
    async def add_profile_entry(self, info: Info, input: AddProfileEntryInput) -> ProfileEntryPayload:
        try:
            record = await service.add_entry(
                info.context.require_access(),
                decode_id(input.patient_id, "Patient")[1],
                kind=input.kind,
                label=input.label,
                details=input.details,
                occurred_on=input.occurred_on,
            )
        except BadUserInput as error:
            return ProfileEntryPayload(profile_entry=None, user_errors=UserError.from_error(error))
        return ProfileEntryPayload(profile_entry=ProfileEntry.of(record), user_errors=[])

    @strawberry.mutation(
        description="Add a measurement (UCUM units): the patient's side, the care team, or an app "
        "with profile:write.",
        **scoped(Scope.PROFILE_WRITE),
    )
    async def add_measurement(self, info: Info, input: AddMeasurementInput) -> MeasurementPayload:
        try:
            record = await service.add_measurement(
                info.context.require_access(),
                decode_id(input.patient_id, "Patient")[1],
                kind=input.kind.value,
                value=input.value,
                unit=input.unit,
                measured_at=input.measured_at,
            )
        except BadUserInput as error:
            return MeasurementPayload(measurement=None, user_errors=UserError.from_error(error))
        return MeasurementPayload(measurement=Measurement.of(record), user_errors=[])
