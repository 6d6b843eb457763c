"""GraphQL of the agenda."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.agenda import feed, reminders, service
from api.agenda.models import ItemKind, ItemStatus
from api.db import Count
from api.directory.types import PatientFields
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.ids import decode_id
from api.graphql.pagination import (
    PageInfo,
    decode_day_keyset,
    encode_day_keyset,
    page_info,
    page_size,
)
from api.graphql.payloads import UserError
from api.graphql.permissions import first_party_only, scoped
from api.identity.scopes import Scope

CURSOR_KIND = "agenda"

strawberry.enum(
    ItemKind, name="AgendaItemKind", description="Screening, vaccination, check-up, appointment, reminder."
)
strawberry.enum(ItemStatus, name="AgendaItemStatus", description="Where an agenda item stands.")


@strawberry.type(description="An item of the agenda: a prevention proposal, an appointment or a reminder.")
class AgendaItem(relay.Node):
    id: relay.NodeID[str]
    kind: ItemKind = strawberry.field(description="What it is.")
    title: str = strawberry.field(description="Title.")
    description: str | None = strawberry.field(description="For a prevention item: why it is proposed.")
    due_date: date | None = strawberry.field(description="The day it is due (prevention items, reminders).")
    starts_at: datetime | None = strawberry.field(description="When an appointment starts.")
    ends_at: datetime | None = strawberry.field(description="When an appointment ends.")
    location: str | None = strawberry.field(description="Where.")
    status: ItemStatus = strawberry.field(description="DUE, UPCOMING, DONE, DISMISSED or SNOOZED.")
    snoozed_until: date | None = strawberry.field(description="A snoozed item comes back on this day.")
    done_on: date | None = strawberry.field(description="The day it was done.")
    next_due_date: date | None = strawberry.field(description="Done: when the next occurrence falls due.")
    rule_code: str | None = strawberry.field(description="The prevention rule that produced it, if any.")
    source: str | None = strawberry.field(description="The official recommendation behind the rule.")
    record: strawberry.Private[service.ItemRecord]

    @classmethod
    def from_record(cls, record: service.ItemRecord) -> AgendaItem:
        return cls(
            id=str(record.id),
            kind=ItemKind(record.kind),
            title=record.title,
            description=record.description,
            due_date=record.due_date,
            starts_at=record.starts_at,
            ends_at=record.ends_at,
            location=record.location,
            status=ItemStatus(record.status),
            snoozed_until=record.snoozed_until,
            done_on=record.done_on,
            next_due_date=record.next_due,
            rule_code=record.rule_code,
            source=record.source,
            record=record,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AgendaItem | None]:
        access = info.context.require_access()
        return [cls.from_record(await service.read_item(access, uuid.UUID(node_id))) for node_id in node_ids]


@strawberry.type(description="An agenda item and its cursor.")
class AgendaItemEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: AgendaItem = strawberry.field(description="The item.")


@strawberry.type(description="Agenda items, soonest first.")
class AgendaItemConnection:
    edges: list[AgendaItemEdge] = strawberry.field(description="This page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    counter: strawberry.Private[Count]

    @strawberry.field(description="Items matching, in all. Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.input(description="Narrow the agenda.")
class AgendaFilter:
    statuses: list[ItemStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    kinds: list[ItemKind] | None = strawberry.field(default=None, description="Only these kinds.")
    day_from: date | None = strawberry.field(
        default=None, description="Due or starting on or after this day."
    )
    day_to: date | None = strawberry.field(default=None, description="Due or starting on or before this day.")

    def criteria(self) -> service.AgendaCriteria:
        return service.AgendaCriteria(
            statuses=tuple(status.value for status in self.statuses or []),
            kinds=tuple(kind.value for kind in self.kinds or []),
            day_from=self.day_from,
            day_to=self.day_to,
        )


@strawberry.type
class PatientAgendaFields(PatientFields):
    """The agenda part of `Patient`."""

    @strawberry.field(
        description="The agenda, soonest first: prevention items computed from the national programmes "
        "(each says why), appointments and reminders. Journaled when read by anyone but the patient.",
        **scoped(Scope.AGENDA_READ),
    )
    async def agenda(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: AgendaFilter | None = None,
    ) -> AgendaItemConnection | None:
        limit = page_size(first)
        start = decode_day_keyset(CURSOR_KIND, after)
        records, total, more = await service.agenda_page(
            info.context.require_access(),
            self.record.id,
            limit=limit,
            after=start,
            criteria=filter.criteria() if filter else None,
        )
        edges = [
            AgendaItemEdge(
                cursor=encode_day_keyset(CURSOR_KIND, record.day, record.id),
                node=AgendaItem.from_record(record),
            )
            for record in records
        ]
        return AgendaItemConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
            counter=total,
        )


@strawberry.input(description="An appointment (with its time) or a personal reminder (a day or a time).")
class CreateAppointmentInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    title: str = strawberry.field(description="What it is.")
    kind: ItemKind = strawberry.field(default=ItemKind.APPOINTMENT, description="APPOINTMENT or REMINDER.")
    starts_at: datetime | None = strawberry.field(default=None, description="Start, with its zone.")
    ends_at: datetime | None = strawberry.field(
        default=None, description="End, within 24 hours of the start."
    )
    due_date: date | None = strawberry.field(default=None, description="A reminder's day, without a time.")
    location: str | None = strawberry.field(default=None, description="Where.")
    description: str | None = strawberry.field(default=None, description="Notes.")


@strawberry.input(description="The patient's decision on an agenda item.")
class UpdateAgendaItemInput:
    id: strawberry.ID = strawberry.field(description="The item.")
    status: ItemStatus = strawberry.field(
        description="DONE, DISMISSED, SNOOZED (with snoozedUntil), or DUE to undo."
    )
    snoozed_until: date | None = strawberry.field(
        default=None, description="A snoozed item comes back on this day."
    )


@strawberry.type(description="The agenda item created or changed.")
class AgendaItemPayload:
    agenda_item: AgendaItem | None = strawberry.field(description="The item.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type(description="The space's private calendar link.")
class AgendaFeedPayload:
    url: str | None = strawberry.field(
        description="The iCalendar link; keep it private. A new one revokes the old."
    )
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type(description="Whether a link was revoked.")
class RevokeAgendaFeedPayload:
    revoked: bool = strawberry.field(description="True when a link existed and no longer works.")


def _patient(value: strawberry.ID) -> uuid.UUID:
    try:
        return decode_id(value, "Patient")[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field="patientId") from error


@strawberry.type
class AgendaMutation:
    @strawberry.mutation(
        description="Add an appointment or a personal reminder to the agenda: the patient's side.",
        **scoped(Scope.AGENDA_WRITE),
    )
    async def create_appointment(self, info: Info, input: CreateAppointmentInput) -> AgendaItemPayload:
        try:
            record = await service.create_own_item(
                info.context.require_access(),
                _patient(input.patient_id),
                kind=input.kind,
                title=input.title,
                description=input.description,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                due_date=input.due_date,
                location=input.location,
            )
        except BadUserInput as error:
            return AgendaItemPayload(agenda_item=None, user_errors=UserError.from_error(error))
        return AgendaItemPayload(agenda_item=AgendaItem.from_record(record), user_errors=[])

    @strawberry.mutation(
        description="Mark an item done, dismiss it, snooze it until a day, or undo that (DUE).",
        **scoped(Scope.AGENDA_WRITE),
    )
    async def update_agenda_item(self, info: Info, input: UpdateAgendaItemInput) -> AgendaItemPayload:
        try:
            item_id = decode_id(input.id, "AgendaItem")[1]
            record = await service.decide(
                info.context.require_access(), item_id, status=input.status, snoozed_until=input.snoozed_until
            )
        except BadUserInput as error:
            return AgendaItemPayload(agenda_item=None, user_errors=UserError.from_error(error))
        return AgendaItemPayload(agenda_item=AgendaItem.from_record(record), user_errors=[])

    @strawberry.mutation(
        description="A new private iCalendar link to the agenda (the previous one stops working). "
        "The patient or a legal representative; never a catalogue app.",
        **first_party_only(Scope.AGENDA_READ),
    )
    async def create_agenda_feed(self, info: Info, patient_id: strawberry.ID) -> AgendaFeedPayload:
        try:
            url = await feed.new_feed(
                info.context.require_access(),
                _patient(patient_id),
                base_url=info.context.settings.token_issuer,
            )
        except BadUserInput as error:
            return AgendaFeedPayload(url=None, user_errors=UserError.from_error(error))
        return AgendaFeedPayload(url=url, user_errors=[])

    @strawberry.mutation(
        description="Revoke the agenda's iCalendar link.", **first_party_only(Scope.AGENDA_READ)
    )
    async def revoke_agenda_feed(self, info: Info, patient_id: strawberry.ID) -> RevokeAgendaFeedPayload:
        return RevokeAgendaFeedPayload(
            revoked=await feed.revoke_feed(info.context.require_access(), _patient(patient_id))
        )


@strawberry.type(description="The kinds of agenda item the patient wants no reminder for.")
class AgendaRemindersPayload:
    refused_kinds: list[ItemKind] = strawberry.field(description="No reminder for these kinds.")


@strawberry.type
class AgendaReminderMutation:
    @strawberry.mutation(
        description="Refuse reminders for these kinds of item (an empty list accepts them all again). "
        "The patient or a legal representative; never a catalogue app.",
        **first_party_only(Scope.AGENDA_WRITE),
    )
    async def set_agenda_reminders(
        self, info: Info, patient_id: strawberry.ID, refused_kinds: list[ItemKind]
    ) -> AgendaRemindersPayload:
        kinds = await reminders.set_refused_kinds(
            info.context.require_access(), _patient(patient_id), refused_kinds
        )
        return AgendaRemindersPayload(refused_kinds=kinds)
