"""GraphQL of the glycemia follow-up: `Patient.glycemia` and `setGlycemiaTarget`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import strawberry

from api.access.policy import Action, SpacePart, may_make_clinical_decision
from api.access.service import SpaceAccess
from api.directory.types import PatientFields
from api.errors import BadUserInput, Forbidden
from api.graphql.context import Info
from api.graphql.ids import decode_id, encode_id
from api.graphql.payloads import UserError
from api.graphql.permissions import scoped
from api.journal.records import AccessAction
from api.plugin_context import PluginContext
from api.timezones import PARIS
from plugins.glycemia import logic, store

NAME = "glycemia"
READ_SCOPE = "glycemia:read"
WRITE_SCOPE = "glycemia:write"

Hba1cSource = strawberry.enum(
    logic.Source, name="Hba1cSource", description="Where an HbA1c value comes from."
)
GlycemiaTrend = strawberry.enum(
    logic.Trend, name="GlycemiaTrend", description="How HbA1c moved between the two latest readings."
)


@strawberry.type(description="The HbA1c target set by a professional of the care team.")
class Hba1cTarget:
    max_percent: float = strawberry.field(description="Values above this (in %) are out of target.")
    set_by: str = strawberry.field(description="The professional who set it.")
    set_at: datetime = strawberry.field(description="When.")

    @classmethod
    def of(cls, record: store.TargetRecord) -> Hba1cTarget:
        return cls(max_percent=record.max_percent, set_by=record.set_by_name, set_at=record.set_at)


@strawberry.type(description="One HbA1c value (glycated haemoglobin), in %.")
class Hba1cReading:
    value: float = strawberry.field(description="The value.")
    unit: str = strawberry.field(description="UCUM unit: % (IFCC mmol/mol values are converted).")
    on: date = strawberry.field(name="date", description="The day it was measured (Europe/Paris).")
    source: logic.Source = strawberry.field(
        description="The medical profile, or a lab result of the dossier."
    )
    document_id: strawberry.ID | None = strawberry.field(
        description="The lab result it was read from, if any."
    )
    out_of_target: bool | None = strawberry.field(
        description="Above the target set by the care team; null when no target is set."
    )


class _View:
    """One request's look at one space: each source read once, however many fields ask."""

    def __init__(self, context: PluginContext, granted: SpaceAccess) -> None:
        self.context = context
        self.granted = granted
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def _once(self, key: str, factory: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        if key not in self._tasks:
            self._tasks[key] = asyncio.ensure_future(factory())
        return self._tasks[key]

    async def readings(self) -> list[logic.Hba1c]:
        """Up to MAX_LAST readings, newest first: the profile's and the visible lab results'."""
        return await self._once("readings", self._readings)

    async def target(self) -> store.TargetRecord | None:
        return await self._once("target", self._target)

    async def _readings(self) -> list[logic.Hba1c]:
        patient_id = self.granted.patient_id
        measured = await self.context.measurements(patient_id, "HBA1C", last=logic.MAX_LAST)
        found = [
            logic.Hba1c(m.value, m.unit, m.measured_at.astimezone(PARIS).date(), logic.Source.PROFILE, m.id)
            for m in measured
        ]
        found.extend(await self._lab_readings())
        return logic.newest_first(found, logic.MAX_LAST)

    async def _lab_readings(self) -> list[logic.Hba1c]:
        """What was read from lab results, only for those who may see each document
        (masked, hidden from the patient or from representatives: left out)."""
        try:
            documents = await self.context.open(self.granted.patient_id, SpacePart.DOCUMENTS)
        except Forbidden:
            return []  # e.g. a caregiver delegated the profile but not the documents
        async with self.context.read() as connection:
            lab = await store.lab_readings(connection, self.granted.patient_id)
        visible = await self.context.visible_documents(
            documents, {item.document_id for item in lab if item.document_id}
        )
        return [item for item in lab if item.document_id in visible]

    async def _target(self) -> store.TargetRecord | None:
        async with self.context.read() as connection:
            return await store.target(connection, self.granted.patient_id)


@strawberry.type(description="Diabetes follow-up: HbA1c from the profile and from lab results.")
class Glycemia:
    view: strawberry.Private[_View]

    @strawberry.field(description="The latest HbA1c values, newest first (last: 1 to 50).")
    async def hba1c(self, last: int = 4) -> list[Hba1cReading]:
        count = logic.checked_last(last)
        readings, target = await asyncio.gather(self.view.readings(), self.view.target())
        limit = target.max_percent if target else None
        return [
            Hba1cReading(
                value=item.value,
                unit=item.unit,
                on=item.on,
                source=item.source,
                document_id=strawberry.ID(encode_id("Document", item.document_id))
                if item.document_id
                else None,
                out_of_target=logic.out_of_target(item.value, limit),
            )
            for item in readings[:count]
        ]

    @strawberry.field(description="The HbA1c target set by the care team; null when none is set.")
    async def target(self) -> Hba1cTarget | None:
        found = await self.view.target()
        return Hba1cTarget.of(found) if found else None

    @strawberry.field(
        description="The latest HbA1c against the one before it: RISING when higher by more than "
        f"{logic.TREND_THRESHOLD} point (of %), FALLING when lower by more than that, STABLE "
        "otherwise; null with fewer than two readings."
    )
    async def trend(self) -> logic.Trend | None:
        return logic.trend(await self.view.readings())


@strawberry.type
class PatientGlycemiaFields(PatientFields):
    """The glycemia plugin's part of `Patient`."""

    @strawberry.field(
        description="Diabetes follow-up (HbA1c, target, trend). Read with the medical profile's rights; "
        "values read from lab results only for those who may see the result; journaled.",
        **scoped(READ_SCOPE),
    )
    async def glycemia(self, info: Info) -> Glycemia | None:
        context = PluginContext(info, NAME)
        granted = await context.open(self.record.id, SpacePart.PROFILE)
        context.journal_read(granted, "Hba1c", self.record.id)
        return Glycemia(view=_View(context, granted))


@strawberry.input(description="The HbA1c target of a patient.")
class SetGlycemiaTargetInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    max_percent: float = strawberry.field(description="The highest HbA1c in target, in % (5 to 12).")


@strawberry.type(description="The target set.")
class SetGlycemiaTargetPayload:
    target: Hba1cTarget | None = strawberry.field(description="The target.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class GlycemiaMutation:
    @strawberry.mutation(
        description="Set a patient's HbA1c target: a professional of the care team (journaled).",
        **scoped(WRITE_SCOPE),
    )
    async def set_glycemia_target(
        self,
        info: Info,
        input: SetGlycemiaTargetInput,  # noqa: A002 - the contract's argument name
    ) -> SetGlycemiaTargetPayload:
        context = PluginContext(info, NAME)
        try:
            patient_id: uuid.UUID = decode_id(input.patient_id, "Patient")[1]
        except BadUserInput as error:
            refused = BadUserInput(error.message, field="patientId")
            return SetGlycemiaTargetPayload(target=None, user_errors=UserError.from_error(refused))
        granted = await context.open(patient_id, SpacePart.PROFILE, Action.CREATE)
        principal = context.principal
        if not may_make_clinical_decision(principal):
            raise Forbidden("Only a professional of the care team sets the target.")
        try:
            max_percent = logic.checked_target(input.max_percent)
        except BadUserInput as error:
            return SetGlycemiaTargetPayload(target=None, user_errors=UserError.from_error(error))
        async with context.transaction() as connection:
            record, created = await store.set_target(
                connection,
                patient_id,
                max_percent,
                set_by_name=principal.display_name,
                set_by_professional_id=principal.professional_id,
            )
            action = AccessAction.CREATE if created else AccessAction.UPDATE
            await context.journal_write(connection, granted, action, "Hba1cTarget", patient_id)
        return SetGlycemiaTargetPayload(target=Hba1cTarget.of(record), user_errors=[])
