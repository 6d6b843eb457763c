"""The agenda's operations: keeping the prevention items in step with the
rules, reading the agenda, the patient's appointments and decisions.

Prevention items are materialized from `rules.evaluate`: `refresh` recomputes
a space when what the rules read (api.agenda.inputs) or the day has changed,
and upserts on each occurrence key, so it is idempotent and never duplicates
an item. A decision of the patient (done, dismissed, snoozed) outlives
recomputing; a snooze ends on its day.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api import plugins
from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.agenda.inputs import rule_inputs
from api.agenda.models import AgendaItem, AgendaState, ItemKind, ItemStatus
from api.agenda.rules import Proposal, ProposalStatus, evaluate, programmes
from api.agenda.staleness import inputs_changed
from api.db import Count, Database, count_of, new_id, utcnow
from api.errors import BadUserInput, NotFound
from api.journal.records import AccessAction
from api.text import clean_text
from api.timezones import PARIS, paris_today

OWN_KINDS = frozenset({ItemKind.APPOINTMENT, ItemKind.REMINDER})
MAX_SNOOZE = timedelta(days=366)
MAX_APPOINTMENT = timedelta(hours=24)
# Dates far enough for any care, near enough to compute with (time zones near the year 1 or 9999 overflow).
SPAN = timedelta(days=36_500)


@dataclass(frozen=True, slots=True)
class ItemRecord:
    patient_id: uuid.UUID
    id: uuid.UUID
    key: str
    kind: str
    title: str
    description: str | None
    day: date
    due_date: date | None
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None
    status: str
    snoozed_until: date | None
    done_on: date | None
    next_due: date | None
    rule_code: str | None
    source: str | None
    updated_at: datetime


COLUMNS = (
    AgendaItem.patient_id,
    AgendaItem.id,
    AgendaItem.key,
    AgendaItem.kind,
    AgendaItem.title,
    AgendaItem.description,
    AgendaItem.day,
    AgendaItem.due_date,
    AgendaItem.starts_at,
    AgendaItem.ends_at,
    AgendaItem.location,
    AgendaItem.status,
    AgendaItem.snoozed_until,
    AgendaItem.done_on,
    AgendaItem.next_due,
    AgendaItem.rule_code,
    AgendaItem.source,
    AgendaItem.updated_at,
)


@dataclass(frozen=True, slots=True)
class AgendaCriteria:
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    day_from: date | None = None
    day_to: date | None = None


def _values(proposal: Proposal) -> dict[str, Any]:
    done = proposal.status is ProposalStatus.DONE
    return {
        "kind": proposal.kind,
        "title": proposal.title,
        "description": proposal.reason,
        "day": proposal.due_date,
        "due_date": proposal.due_date,
        "status": proposal.status.value,
        "done_on": proposal.evidence.on if done and proposal.evidence else None,
        "done_ref": proposal.evidence.ref if done and proposal.evidence else None,
        "next_due": proposal.next_due,
        "rule_code": proposal.rule_code,
        "source": proposal.source[:300],
    }


# Read on every agenda read: built once.
_CURRENT_STATE = select(AgendaState.computed_day, AgendaState.inputs_mark).where(
    AgendaState.patient_id == bindparam("patient_id"),
    AgendaState.computed_revision == AgendaState.inputs_revision,
)


async def refresh(
    database: Database, patient_id: uuid.UUID, today: date | None = None, *, force: bool = False
) -> bool:
    """Bring the space's prevention items in step with the rules; True when it
    recomputed (`force`: even if nothing the rules read has changed). Current
    items cost one statement: the day, the programmes and the revision of what
    the rules read are those they were computed from (api/agenda/staleness.py)."""
    today = today or paris_today()
    mark = programmes_mark()
    async with database.read() as connection:
        state = (await connection.execute(_CURRENT_STATE, {"patient_id": patient_id})).first()
        if not force and state is not None and state.computed_day == today and state.inputs_mark == mark:
            return False
        # Read after the revision: a change committed meanwhile leaves the state behind, never ahead.
        revision = await connection.scalar(
            select(AgendaState.inputs_revision).where(AgendaState.patient_id == patient_id)
        )
        inputs = await rule_inputs(connection, patient_id)
    if inputs is None:
        return False
    proposals = {proposal.key: proposal for proposal in evaluate(inputs.person, inputs.evidence, today)}
    refs = {item.ref for item in inputs.evidence if item.ref}
    async with database.session() as session:
        connection = await session.connection()
        # The state row first: concurrent refreshes of one space queue here, and the
        # second reads the items the first wrote (no duplicate, no clash).
        await _claim_state(connection, database, patient_id, today, mark=mark, revision=revision or 0)
        await _upsert(connection, patient_id, proposals, refs, today)
        await _own_items(connection, patient_id, today)
    return True


@cache
def programmes_mark() -> str:
    """The programmes' version and the plugins that bring evidence, as items computed
    from them record it: enabling or upgrading a plugin recomputes every agenda."""
    evidence = sorted(
        f"{plugin.name}@{plugin.version}" for plugin in plugins.active().enabled if plugin.evidence
    )
    return hashlib.sha256(" ".join([programmes().version, *evidence]).encode()).hexdigest()


async def _claim_state(
    connection: AsyncConnection,
    database: Database,
    patient_id: uuid.UUID,
    today: date,
    *,
    mark: str,
    revision: int,
) -> None:
    # The revision computed from only: `inputs_revision` belongs to the changes.
    values = {
        "computed_day": today,
        "inputs_mark": mark,
        "computed_revision": revision,
        "computed_at": utcnow(),
    }
    upsert = sqlite_insert if database.is_sqlite else pg_insert
    await connection.execute(
        upsert(AgendaState)
        .values(patient_id=patient_id, **values)
        .on_conflict_do_update(index_elements=["patient_id"], set_=values)
    )


_COMPARED = (
    "kind",
    "title",
    "description",
    "day",
    "due_date",
    "status",
    "done_on",
    "next_due",
    "rule_code",
    "source",
)


async def _upsert(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    proposals: dict[str, Proposal],
    refs: set[str],
    today: date,
) -> None:
    stored = {
        row.key: row
        for row in await connection.execute(
            select(
                AgendaItem.id,
                AgendaItem.key,
                AgendaItem.decided_by_patient,
                AgendaItem.snoozed_until,
                AgendaItem.done_ref,
                *(getattr(AgendaItem, name) for name in _COMPARED),
            ).where(AgendaItem.patient_id == patient_id, AgendaItem.rule_code.is_not(None))
        )
    }
    now = utcnow()
    gone: list[uuid.UUID] = []
    for key, proposal in proposals.items():
        values = _values(proposal)
        row = stored.get(key)
        if row is None:
            await connection.execute(
                insert(AgendaItem).values(
                    patient_id=patient_id,
                    id=new_id(),
                    key=key,
                    decided_by_patient=False,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            continue
        if row.decided_by_patient:
            snooze_over = row.status == ItemStatus.SNOOZED.value and (row.snoozed_until or today) <= today
            done_meanwhile = row.status == ItemStatus.SNOOZED.value and proposal.status is ProposalStatus.DONE
            if not (snooze_over or done_meanwhile):
                continue  # the patient's decision stands
            values |= {"decided_by_patient": False, "snoozed_until": None, "reminded_at": None}
        elif (
            all(getattr(row, name) == values[name] for name in _COMPARED)
            and row.done_ref == values["done_ref"]
        ):
            continue  # unchanged: no write
        await connection.execute(
            update(AgendaItem)
            .where(AgendaItem.patient_id == patient_id, AgendaItem.id == row.id)
            .values(**values, updated_at=now)
        )
    for key, row in stored.items():
        if key in proposals:
            continue
        snooze_over = row.status == ItemStatus.SNOOZED.value and (row.snoozed_until or today) <= today
        if row.decided_by_patient and not snooze_over:
            continue  # the patient's decision stands
        # A done occurrence stays as history while what made it done is still there to
        # be seen (a document later hidden from someone must not keep speaking for it).
        if row.status == ItemStatus.DONE.value and not row.decided_by_patient and row.done_ref in refs:
            continue
        gone.append(row.id)  # no longer proposed: missed, out of the window, no longer eligible
    if gone:
        await connection.execute(
            delete(AgendaItem).where(AgendaItem.patient_id == patient_id, AgendaItem.id.in_(gone))
        )


async def _own_items(connection: AsyncConnection, patient_id: uuid.UUID, today: date) -> None:
    """Appointments and reminders follow the days too: due on their day, back from a snooze."""
    own = AgendaItem.rule_code.is_(None)
    await connection.execute(
        update(AgendaItem)
        .where(
            AgendaItem.patient_id == patient_id,
            own,
            AgendaItem.status == ItemStatus.SNOOZED.value,
            AgendaItem.snoozed_until <= today,
        )
        .values(status=ItemStatus.DUE.value, snoozed_until=None, decided_by_patient=False, reminded_at=None)
    )
    await connection.execute(
        update(AgendaItem)
        .where(
            AgendaItem.patient_id == patient_id,
            own,
            AgendaItem.status == ItemStatus.UPCOMING.value,
            AgendaItem.day <= today,
        )
        .values(status=ItemStatus.DUE.value)
    )


def _criteria_query(patient_id: uuid.UUID, criteria: AgendaCriteria) -> Any:
    query = select(*COLUMNS).where(AgendaItem.patient_id == patient_id)
    if criteria.statuses:
        query = query.where(AgendaItem.status.in_(criteria.statuses))
    if criteria.kinds:
        query = query.where(AgendaItem.kind.in_(criteria.kinds))
    if criteria.day_from is not None:
        query = query.where(AgendaItem.day >= criteria.day_from)
    if criteria.day_to is not None:
        query = query.where(AgendaItem.day <= criteria.day_to)
    return query


async def agenda_page(
    access: Access,
    patient_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[date, uuid.UUID] | None,
    criteria: AgendaCriteria | None = None,
) -> tuple[list[ItemRecord], Count, bool]:
    """Soonest first: the page, how to count them all, whether more follow; the
    prevention items refreshed first when their inputs or the day changed."""
    granted = await access.space(patient_id, Action.READ, SpacePart.AGENDA)
    criteria = criteria or AgendaCriteria()
    if criteria.day_from and criteria.day_to and criteria.day_from > criteria.day_to:
        raise BadUserInput("The date range ends before it starts.", field="filter")
    await refresh(access.database, patient_id)
    query = _criteria_query(patient_id, criteria)
    page_query = query.order_by(AgendaItem.day, AgendaItem.id).limit(limit + 1)
    if after is not None:
        day, item_id = after
        page_query = page_query.where(
            or_(AgendaItem.day > day, and_(AgendaItem.day == day, AgendaItem.id > item_id))
        )
    async with access.database.read() as connection:
        rows = [ItemRecord(*row) for row in await connection.execute(page_query)]
    for record in rows[:limit]:
        access.read(granted, "AgendaItem", record.id)
    return rows[:limit], count_of(access.database, query), len(rows) > limit


async def items_for_feed(database: Database, patient_id: uuid.UUID) -> list[ItemRecord]:
    """Every item a calendar shows (not the dismissed), refreshed first."""
    await refresh(database, patient_id)
    async with database.read() as connection:
        rows = await connection.execute(
            select(*COLUMNS)
            .where(AgendaItem.patient_id == patient_id, AgendaItem.status != ItemStatus.DISMISSED.value)
            .order_by(AgendaItem.day, AgendaItem.id)
        )
        return [ItemRecord(*row) for row in rows]


async def _item(access: Access, item_id: uuid.UUID) -> ItemRecord:
    async with access.database.read() as connection:
        row = (await connection.execute(select(*COLUMNS).where(AgendaItem.id == item_id))).first()
    if row is None:
        raise NotFound("No such agenda item.")
    return ItemRecord(*row)


async def read_item(access: Access, item_id: uuid.UUID) -> ItemRecord:
    record = await _item(access, item_id)
    granted = await access.space(record.patient_id, Action.READ, SpacePart.AGENDA)
    access.read(granted, "AgendaItem", record.id)
    return record


def _checked_times(starts_at: datetime | None, ends_at: datetime | None, due_date: date | None) -> None:
    today = paris_today()
    earliest, latest = today - SPAN, today + SPAN
    for name, moment in (("startsAt", starts_at), ("endsAt", ends_at)):
        if moment is not None and moment.tzinfo is None:
            raise BadUserInput("Give the time with its zone (ISO 8601).", field=name)
        if moment is not None and not earliest <= moment.date() <= latest:
            raise BadUserInput("A day within a hundred years of today.", field=name)
    if due_date is not None and not earliest <= due_date <= latest:
        raise BadUserInput("A day within a hundred years of today.", field="dueDate")
    if starts_at and ends_at and not timedelta(0) < ends_at - starts_at <= MAX_APPOINTMENT:
        raise BadUserInput("An appointment ends after it starts, within 24 hours.", field="endsAt")


async def create_own_item(
    access: Access,
    patient_id: uuid.UUID,
    *,
    kind: ItemKind,
    title: str,
    description: str | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    due_date: date | None,
    location: str | None,
) -> ItemRecord:
    """An appointment (with its time) or a personal reminder (a day or a time)."""
    granted = await access.space(patient_id, Action.CREATE, SpacePart.AGENDA)
    if kind not in OWN_KINDS:
        raise BadUserInput("Only appointments and reminders are created by hand.", field="kind")
    title = clean_text(title, field="title", min_length=1, max_length=300, what="The title")
    description = (
        clean_text(description, field="description", max_length=2000, what="The description")
        if description
        else None
    )
    location = clean_text(location, field="location", max_length=200, what="The place") if location else None
    _checked_times(starts_at, ends_at, due_date)
    if kind is ItemKind.APPOINTMENT and starts_at is None:
        raise BadUserInput("An appointment has a start time.", field="startsAt")
    if starts_at is None and due_date is None:
        raise BadUserInput("A reminder has a day or a time.", field="dueDate")
    day = starts_at.astimezone(PARIS).date() if starts_at else due_date
    item_id, now = new_id(), utcnow()
    async with access.database.session() as session:
        connection = await session.connection()
        row = (
            await connection.execute(
                insert(AgendaItem)
                .values(
                    patient_id=patient_id,
                    id=item_id,
                    key=f"own:{item_id}",
                    kind=kind.value,
                    title=title,
                    description=description,
                    day=day,
                    due_date=due_date,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location=location,
                    status=ItemStatus.UPCOMING.value if day and day > paris_today() else ItemStatus.DUE.value,
                    decided_by_patient=False,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*COLUMNS)
            )
        ).one()
        await access.write_entry(connection, granted, AccessAction.CREATE, "AgendaItem", item_id)
    return ItemRecord(*row)


async def decide(
    access: Access, item_id: uuid.UUID, *, status: ItemStatus, snoozed_until: date | None
) -> ItemRecord:
    """The patient's decision on an item: DONE, DISMISSED, SNOOZED until a day,
    or DUE to undo a decision (the rules decide again)."""
    record = await _item(access, item_id)
    granted = await access.space(record.patient_id, Action.UPDATE, SpacePart.AGENDA)
    today = paris_today()
    values: dict[str, Any] = {"updated_at": utcnow(), "snoozed_until": None}
    if status is ItemStatus.SNOOZED:
        if snoozed_until is None or not today < snoozed_until <= today + MAX_SNOOZE:
            raise BadUserInput("Snooze until a day within the coming year.", field="snoozedUntil")
        values |= {"status": status.value, "snoozed_until": snoozed_until, "decided_by_patient": True}
    elif snoozed_until is not None:
        raise BadUserInput("Only a snooze has an end.", field="snoozedUntil")
    elif status in (ItemStatus.DONE, ItemStatus.DISMISSED):
        values |= {"status": status.value, "decided_by_patient": True}
        if status is ItemStatus.DONE:
            values["done_on"] = today
    elif status is ItemStatus.DUE:
        values |= {"decided_by_patient": False, "reminded_at": None}
        if record.rule_code is None:
            values |= {"status": ItemStatus.UPCOMING.value if record.day > today else ItemStatus.DUE.value}
    else:
        raise BadUserInput("Decide DONE, DISMISSED, SNOOZED, or DUE to undo.", field="status")
    async with access.database.session() as session:
        connection = await session.connection()
        updated = await connection.execute(
            update(AgendaItem)
            .where(AgendaItem.patient_id == record.patient_id, AgendaItem.id == record.id)
            .values(**values)
            .returning(*COLUMNS)
        )
        record = ItemRecord(*updated.one())
        await access.write_entry(connection, granted, AccessAction.UPDATE, "AgendaItem", record.id)
        if record.rule_code is not None:
            # The patient's marks are read by the rules too: a refresh racing this one
            # must not leave the agenda marked current without the mark.
            await inputs_changed(connection, record.patient_id)
    if record.rule_code is not None:
        # The rules decide again: a mark done may start the next occurrence, an undo restores theirs.
        await refresh(access.database, record.patient_id, force=True)
        # Undone, an item the rules no longer propose is gone: the decision's answer stands.
        with contextlib.suppress(NotFound):
            record = await _item(access, record.id)
    return record
