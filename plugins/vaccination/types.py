"""GraphQL of the vaccination plugin: `Patient.vaccinationStatus`."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from api.access.policy import SpacePart
from api.agenda.evidence import Condition, Person
from api.directory.types import PatientFields
from api.graphql.context import Info
from api.graphql.permissions import scoped
from api.plugin_context import PluginContext
from api.timezones import PARIS, paris_today
from plugins.vaccination import calendar, service

PLUGIN = "vaccination"


@strawberry.enum(description="Where a vaccination is known from.")
class VaccinationSource(Enum):
    PROFILE = "PROFILE"
    DOCUMENT = "DOCUMENT"


@strawberry.type(description="A vaccination given.")
class VaccinationDone:
    vaccine: str = strawberry.field(description="The vaccine, as recorded.")
    given_on: date = strawberry.field(name="date", description="The day it was given.")
    source: VaccinationSource = strawberry.field(
        description="The medical profile, or a deposited immunization note."
    )
    programme_codes: list[str] = strawberry.field(
        description="The calendar's programmes it counted for (empty: none recognised)."
    )


@strawberry.type(description="A vaccination of the calendar to be given.")
class VaccinationDue:
    programme_code: str = strawberry.field(
        description="The calendar's programme, as in the agenda (infant-dtcap-hib-hepb)."
    )
    key: str = strawberry.field(
        description="The occurrence, as the agenda item's (infant-dtcap-hib-hepb@4m)."
    )
    title: str = strawberry.field(description="What to give, in French.")
    due_date: date = strawberry.field(description="When it falls due.")
    reason: str = strawberry.field(description="Why it is proposed, in French.")


@strawberry.type(description="The vaccinations done, due and late against the French calendar.")
class VaccinationStatus:
    done: list[VaccinationDone] = strawberry.field(description="Vaccinations given, newest first.")
    due: list[VaccinationDue] = strawberry.field(
        description="Due now or within 30 days (late: past by more than a month; campaigns never late)."
    )
    late: list[VaccinationDue] = strawberry.field(
        description="Due for more than a month (a campaign vaccination is due until the campaign closes)."
    )
    calendar_version: str = strawberry.field(description="The calendar's edition (calendar.toml).")


def _due(item: calendar.Due) -> VaccinationDue:
    return VaccinationDue(
        programme_code=item.programme,
        key=item.key,
        title=item.title,
        due_date=item.due_date,
        reason=item.reason,
    )


@strawberry.type
class PatientVaccinationFields(PatientFields):
    """The vaccination plugin's part of `Patient`."""

    @strawberry.field(
        description="Vaccinations done, due and late against the French calendar, from the profile "
        "and from deposited immunization notes (only those the reader may see). Journaled.",
        **scoped("vaccination:read"),
    )
    async def vaccination_status(self, info: Info) -> VaccinationStatus | None:
        context = PluginContext(info, PLUGIN)
        patient = self.record
        granted = await context.open(patient.id, SpacePart.PROFILE)
        entries = await context.profile_entries(patient.id)
        async with context.read() as connection:
            recorded = await service.recorded(connection, patient.id)
        # What a note says is shown only to those who may read the note (masking rules).
        visible = await context.visible_documents(granted, {item.document_id for item in recorded})
        vaccinations = [
            calendar.Vaccination(
                entry.label,
                entry.occurred_on or entry.created_at.astimezone(PARIS).date(),
                calendar.Source.PROFILE,
                str(entry.id),
            )
            for entry in entries
            if entry.kind == "VACCINATION"
        ] + [
            calendar.Vaccination(
                item.label, item.given_on, calendar.Source.DOCUMENT, str(item.id), str(item.document_id)
            )
            for item in recorded
            if item.document_id in visible
        ]
        person = Person(
            birth_date=patient.birth_date,
            sex=patient.sex if patient.sex in ("F", "M") else None,  # type: ignore[arg-type]
            conditions=tuple(
                Condition(entry.label, since=entry.occurred_on)
                for entry in entries
                if entry.kind == "CONDITION"
            ),
        )
        status = calendar.vaccination_status(person, vaccinations, paris_today())
        context.journal_read(granted, "VaccinationStatus", patient.id)
        return VaccinationStatus(
            done=[
                VaccinationDone(
                    vaccine=item.vaccination.label,
                    given_on=item.vaccination.given_on,
                    source=VaccinationSource(item.vaccination.source.value),
                    programme_codes=list(item.programmes),
                )
                for item in status.done
            ],
            due=[_due(item) for item in status.due],
            late=[_due(item) for item in status.late],
            calendar_version=status.calendar_version,
        )
