"""The aggregation's reading of live data, over a range of Paris days at once.

This is the one module of the service that reads other areas' tables without
asking their services: a statistic reads across every space but looks at no
space as such, and only counts leave it (see `aggregate`, which journals each
run in `indicator_runs`). Instants are grouped by UTC hour in SQL (Paris is a
whole number of hours from UTC, so an hour lies in exactly one Paris day),
then hours are folded into Paris days here: the same code for a day or a year.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.models import CareRelationship, CareRole
from api.agenda.models import AgendaItem, ItemStatus
from api.directory.models import Organization, Patient, SpaceStatus
from api.dossier.models import Document
from api.indicators.definitions import (
    ACTIVE_WINDOW_DAYS,
    DELAY_CATEGORIES,
    FOLLOW_UP_DAYS,
    SECTORS,
)
from api.journal.models import JournalEntry
from api.messaging.models import Message
from api.oauth.models import Grant
from api.profile.models import EntryKind, ProfileEntry
from api.timezones import PARIS, paris_day_start

PATIENT_SIDE = ("PATIENT", "REPRESENTATIVE")
PREVENTION_KINDS = ("SCREENING", "VACCINATION", "CHECKUP")
CONSULTING_ACTIONS = ("READ", "DOWNLOAD")
LAB_CATEGORY = "LAB_RESULT"

Key = tuple[str, str]  # (indicator, dimension)


@dataclass
class Figures:
    """What a range of days gives: cells per day, the document counts per day by (sector,
    organization), and deposit-delay histograms per day by (category, delay, organization)."""

    cells: dict[date, Counter[Key]] = field(default_factory=lambda: defaultdict(Counter))
    documents: dict[date, Counter[tuple[str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    delays: dict[date, Counter[tuple[str, int, str]]] = field(default_factory=lambda: defaultdict(Counter))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _utc_hour(column: Any, sqlite: bool) -> ColumnElement[str]:
    """'YYYY-MM-DD HH' of a stored UTC instant, on both dialects."""
    if sqlite:
        return func.substr(column, 1, 13)  # SQLite keeps UTC instants as ISO text
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")


@lru_cache(maxsize=65536)
def _paris_day(hour: str) -> date:
    return datetime.strptime(hour[:13], "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(PARIS).date()


def _open_spaces() -> Any:
    return select(Patient.id).where(Patient.status == SpaceStatus.OPEN)


async def collect(connection: AsyncConnection, first: date, last: date) -> Figures:
    """Every figure of every day from `first` to `last` (Paris days), in a fixed number of statements."""
    sqlite = connection.dialect.name == "sqlite"
    start, end = paris_day_start(first), paris_day_start(last, next_day=True)
    days = days_between(first, last)
    figures = Figures()
    for day in days:
        figures.cells[day]  # every day gets its row of stocks, zeros included
    await _spaces(connection, sqlite, end, days, figures)
    await _documents(connection, sqlite, start, end, figures)
    await _consultations(connection, sqlite, start, end, figures)
    await _simple_flow(
        connection, sqlite, Message.sent_at, [], "messages", start=start, end=end, figures=figures
    )
    # The item keeps when its reminder (the AGENDA_ITEM_DUE event) went out; outbox rows are transient.
    await _simple_flow(
        connection,
        sqlite,
        AgendaItem.reminded_at,
        _prevention(),
        "reminders_sent",
        start=start,
        end=end,
        figures=figures,
    )
    for day, count in (await reminders_followed(connection, first, last)).items():
        figures.cells[day][("reminders_followed", "")] = count
    await _lab_duplicates(connection, first, end, figures)
    await _activity(connection, sqlite, first, end=end, days=days, figures=figures)
    await _apps(connection, end, days, figures)
    await _key_data(connection, sqlite, end, days, figures)
    return figures


def _prevention() -> list[ColumnElement[bool]]:
    """Prevention items only: a programme's rule made them; the patient's own appointments and
    reminders are not prevention."""
    return [AgendaItem.rule_code.is_not(None), AgendaItem.kind.in_(PREVENTION_KINDS)]


def _organization(organization_id: Any) -> str:
    return "" if organization_id is None else str(organization_id)


def _cumulative(first_days: Iterable[date], days: list[date]) -> list[int]:
    """For each day, how many of `first_days` are on or before it."""
    ordered = sorted(first_days)
    return [bisect.bisect_right(ordered, day) for day in days]


async def _spaces(
    connection: AsyncConnection, sqlite: bool, end: datetime, days: list[date], figures: Figures
) -> None:
    hour = _utc_hour(Patient.opened_at, sqlite)
    rows = await connection.execute(
        select(hour, func.count())
        .where(Patient.status == SpaceStatus.OPEN, Patient.opened_at < end)
        .group_by(hour)
    )
    opened: Counter[date] = Counter()
    for hour_text, count in rows:
        opened[_paris_day(hour_text)] += count
    ordered = sorted(opened)
    running = [0]
    for day in ordered:
        running.append(running[-1] + opened[day])
    for day in days:
        figures.cells[day][("spaces_opened", "")] = running[bisect.bisect_right(ordered, day)]
        if opened[day]:
            figures.cells[day][("spaces_new", "")] = opened[day]


def _sector(organization_kind: str | None, depositor_kind: str) -> str:
    if organization_kind:
        return organization_kind if organization_kind in SECTORS else "OTHER"
    return "PATIENT" if depositor_kind in PATIENT_SIDE else "OTHER"


async def _documents(
    connection: AsyncConnection, sqlite: bool, start: datetime, end: datetime, figures: Figures
) -> None:
    hour = _utc_hour(Document.deposited_at, sqlite)
    in_range = (Document.deposited_at >= start, Document.deposited_at < end)
    rows = await connection.execute(
        select(hour, Document.depositor_kind, Organization.kind, Document.organization_id, func.count())
        .select_from(Document)
        .outerjoin(Organization, Organization.id == Document.organization_id)
        .where(*in_range)
        .group_by(hour, Document.depositor_kind, Organization.kind, Document.organization_id)
    )
    for hour_text, depositor_kind, organization_kind, organization_id, count in rows:
        sector = _sector(organization_kind, depositor_kind)
        figures.documents[_paris_day(hour_text)][(sector, _organization(organization_id))] += count
    rows = await connection.execute(
        select(hour, Document.category, Document.service_date, Document.organization_id, func.count())
        .where(*in_range, Document.service_date.is_not(None))
        .group_by(hour, Document.category, Document.service_date, Document.organization_id)
    )
    for hour_text, category, service_date, organization_id, count in rows:
        day = _paris_day(hour_text)
        delay = (day - service_date).days
        if delay >= 0:  # a care date after the deposit is an error of the sender, left out
            bucket = category if category in DELAY_CATEGORIES else "OTHER"
            figures.delays[day][(bucket, delay, _organization(organization_id))] += count


async def _consultations(
    connection: AsyncConnection, sqlite: bool, start: datetime, end: datetime, figures: Figures
) -> None:
    hour = _utc_hour(JournalEntry.at, sqlite)
    rows = await connection.execute(
        select(hour, JournalEntry.professional_id, JournalEntry.patient_id)
        .where(
            JournalEntry.at >= start,
            JournalEntry.at < end,
            JournalEntry.actor_kind == "PROFESSIONAL",
            JournalEntry.action.in_(CONSULTING_ACTIONS),
        )
        .group_by(hour, JournalEntry.professional_id, JournalEntry.patient_id)
    )
    seen: set[tuple[date, Any, Any]] = set()
    for hour_text, professional_id, patient_id in rows:
        seen.add((_paris_day(hour_text), professional_id, patient_id))
    for day, _professional, _patient in seen:
        figures.cells[day][("consultations", "")] += 1


async def _simple_flow(
    connection: AsyncConnection,
    sqlite: bool,
    column: Any,
    conditions: list[ColumnElement[bool]],
    indicator: str,
    *,
    start: datetime,
    end: datetime,
    figures: Figures,
) -> None:
    hour = _utc_hour(column, sqlite)
    rows = await connection.execute(
        select(hour, func.count()).where(column >= start, column < end, *conditions).group_by(hour)
    )
    for hour_text, count in rows:
        figures.cells[_paris_day(hour_text)][(indicator, "")] += count


async def reminders_followed(connection: AsyncConnection, first: date, last: date) -> Counter[date]:
    """FOLLOWED by reminder day: of the prevention reminders sent on each Paris day from `first`
    to `last`, how many items were done within FOLLOW_UP_DAYS of their reminder. One GROUP BY
    over the range; a day's figure keeps changing until FOLLOW_UP_DAYS after it."""
    sqlite = connection.dialect.name == "sqlite"
    hour = _utc_hour(AgendaItem.reminded_at, sqlite)
    rows = await connection.execute(
        select(hour, AgendaItem.done_on, func.count())
        .where(
            AgendaItem.status == ItemStatus.DONE,
            AgendaItem.reminded_at >= paris_day_start(first),
            AgendaItem.reminded_at < paris_day_start(last, next_day=True),
            AgendaItem.done_on.is_not(None),
            *_prevention(),
        )
        .group_by(hour, AgendaItem.done_on)
    )
    followed: Counter[date] = Counter()
    for hour_text, done_on, count in rows:
        reminded_day = _paris_day(hour_text)
        if 0 <= (done_on - reminded_day).days <= FOLLOW_UP_DAYS:
            followed[reminded_day] += count
    return followed


async def _lab_duplicates(connection: AsyncConnection, first: date, end: datetime, figures: Figures) -> None:
    """A lab result is a duplicate when the same patient had one of the same type earlier in
    the same Paris month; the month's earlier results are read even before `first`."""
    rows = await connection.execute(
        select(Document.patient_id, Document.type_code, Document.deposited_at, Document.id)
        .where(
            Document.category == LAB_CATEGORY,
            Document.replaces_id.is_(None),
            Document.deposited_at >= paris_day_start(first.replace(day=1)),
            Document.deposited_at < end,
        )
        .order_by(Document.deposited_at, Document.id)
    )
    seen: set[tuple[Any, str, int, int]] = set()
    for patient_id, type_code, deposited_at, _id in rows:
        day = deposited_at.astimezone(PARIS).date()
        key = (patient_id, type_code, day.year, day.month)
        if key in seen and day >= first:
            figures.cells[day][("lab_duplicates", "")] += 1
        seen.add(key)


def _patient_side_actions(since: datetime | None, end: datetime) -> Any:
    """(patient_id, instant) of every action of a space's own side the data keeps."""

    def window(column: Any) -> list[ColumnElement[bool]]:
        bounds = [column < end]
        if since is not None:
            bounds.append(column >= since)
        return bounds

    return union_all(
        select(Message.patient_id.label("patient_id"), Message.sent_at.label("at")).where(
            Message.sender_kind.in_(PATIENT_SIDE), *window(Message.sent_at)
        ),
        # Reading a professional's message is an action of the patient's side too.
        select(Message.patient_id, Message.read_at).where(
            Message.sender_kind == "PROFESSIONAL", Message.read_at.is_not(None), *window(Message.read_at)
        ),
        select(Document.patient_id, Document.deposited_at).where(
            Document.depositor_kind.in_(PATIENT_SIDE), *window(Document.deposited_at)
        ),
        select(ProfileEntry.patient_id, ProfileEntry.created_at).where(
            ProfileEntry.entered_by_kind.in_(PATIENT_SIDE), *window(ProfileEntry.created_at)
        ),
        select(Grant.patient_id, Grant.created_at).where(*window(Grant.created_at)),
        select(AgendaItem.patient_id, AgendaItem.updated_at).where(
            AgendaItem.decided_by_patient.is_(True), *window(AgendaItem.updated_at)
        ),
    ).subquery()


async def _activity(
    connection: AsyncConnection,
    sqlite: bool,
    first: date,
    *,
    end: datetime,
    days: list[date],
    figures: Figures,
) -> None:
    everything = _patient_side_actions(None, end)
    first_hour = func.min(_utc_hour(everything.c.at, sqlite))
    rows = await connection.execute(
        select(everything.c.patient_id, first_hour)
        .where(everything.c.patient_id.in_(_open_spaces()))
        .group_by(everything.c.patient_id)
    )
    activated = _cumulative((_paris_day(hour) for _patient, hour in rows), days)
    window_start = paris_day_start(first - timedelta(days=ACTIVE_WINDOW_DAYS - 1))
    recent = _patient_side_actions(window_start, end)
    hour = _utc_hour(recent.c.at, sqlite)
    rows = await connection.execute(
        select(recent.c.patient_id, hour)
        .where(recent.c.patient_id.in_(_open_spaces()))
        .group_by(recent.c.patient_id, hour)
    )
    active: dict[date, set[Any]] = defaultdict(set)
    for patient_id, day in {(patient_id, _paris_day(hour_text)) for patient_id, hour_text in rows}:
        for offset in range(ACTIVE_WINDOW_DAYS):
            active[day + timedelta(days=offset)].add(patient_id)
    for index, day in enumerate(days):
        figures.cells[day][("spaces_activated", "")] = activated[index]
        figures.cells[day][("active_30_days", "")] = len(active.get(day, ()))


async def _apps(connection: AsyncConnection, end: datetime, days: list[date], figures: Figures) -> None:
    rows = (
        await connection.execute(select(Grant.created_at, Grant.revoked_at).where(Grant.created_at < end))
    ).all()
    connected = _cumulative((created.astimezone(PARIS).date() for created, _ in rows), days)
    revoked = _cumulative((ended.astimezone(PARIS).date() for _, ended in rows if ended is not None), days)
    for index, day in enumerate(days):
        figures.cells[day][("apps_connected", "")] = connected[index] - revoked[index]


async def _first_days(
    connection: AsyncConnection, sqlite: bool, table: Any, condition: Any, end: datetime
) -> dict[Any, date]:
    hour = func.min(_utc_hour(table.created_at, sqlite))
    rows = await connection.execute(
        select(table.patient_id, hour)
        .where(condition, table.created_at < end, table.patient_id.in_(_open_spaces()))
        .group_by(table.patient_id)
    )
    return {patient_id: _paris_day(hour_text) for patient_id, hour_text in rows}


async def _key_data(
    connection: AsyncConnection, sqlite: bool, end: datetime, days: list[date], figures: Figures
) -> None:
    firsts = {
        "MEDECIN_TRAITANT": await _first_days(
            connection, sqlite, CareRelationship, CareRelationship.role == CareRole.MEDECIN_TRAITANT, end
        ),
        "VACCINATION": await _first_days(
            connection, sqlite, ProfileEntry, ProfileEntry.kind == EntryKind.VACCINATION, end
        ),
        "ALLERGY": await _first_days(
            connection, sqlite, ProfileEntry, ProfileEntry.kind == EntryKind.ALLERGY, end
        ),
    }
    complete = set.intersection(*(set(found) for found in firsts.values()))
    firsts["ALL"] = {
        patient_id: max(found[patient_id] for found in firsts.values() if patient_id in found)
        for patient_id in complete
    }
    for datum, found in firsts.items():
        for index, count in enumerate(_cumulative(found.values(), days)):
            figures.cells[days[index]][("key_data", datum)] = count
