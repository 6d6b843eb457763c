"""`espace indicators refresh`: the daily aggregation into the indicators' tables.

A range is read in one pass (`sources.collect`), then each day is written in
a transaction of its own that replaces the day's rows: deleting then inserting
gives the same rows however often a day is re-run, and drops a cell that went
back to zero (an upsert would leave it). The run itself is the statistic's
journal: one `indicator_runs` row, never an entry in any space's journal.

Prevention reminders FOLLOWED are keyed on the reminder's day and keep changing
for FOLLOW_UP_DAYS after it: a run also rewrites that cell of the aggregated
days up to FOLLOW_UP_DAYS before its first day (one statement over the range).

Published history is not rewritten from today's data: a day older than
PROTECTED_AFTER_DAYS that was already aggregated is refused unless `force`
(its first aggregation, never done, is allowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, insert, select, update

from api.db import Database, new_id, utcnow
from api.errors import BadUserInput
from api.indicators.definitions import FOLLOW_UP_DAYS
from api.indicators.models import IndicatorCell, IndicatorDelay, IndicatorRun
from api.indicators.sources import collect, days_between, reminders_followed
from api.timezones import paris_today

MAX_DAYS = 3 * 366
# Every aggregated day has this stock's row (zero included): the days aggregated.
AGGREGATED_MARK = "spaces_opened"
FOLLOWED = "reminders_followed"
# A day older than this, once aggregated, is published history: re-running it needs `force`.
PROTECTED_AFTER_DAYS = FOLLOW_UP_DAYS


@dataclass(frozen=True, slots=True)
class RefreshReport:
    first: date
    last: date
    days: int
    cells: int


def yesterday() -> date:
    return paris_today() - timedelta(days=1)


def check_range(first: date, last: date) -> None:
    if first > last:
        raise BadUserInput("The first day comes after the last.")
    if last >= paris_today():
        raise BadUserInput("Only past days can be aggregated (today is not over in Paris).")
    if (last - first).days >= MAX_DAYS:
        raise BadUserInput(f"At most {MAX_DAYS} days per run.")


def protection_start() -> date:
    """The first day still open to re-aggregation: the days before it, once aggregated, are final."""
    return paris_today() - timedelta(days=PROTECTED_AFTER_DAYS)


async def aggregated_days(database: Database, first: date, last: date) -> set[date]:
    async with database.read() as connection:
        rows = await connection.scalars(
            select(IndicatorCell.day).where(
                IndicatorCell.indicator == AGGREGATED_MARK,
                IndicatorCell.day >= first,
                IndicatorCell.day <= last,
            )
        )
        return set(rows)


async def protected_days(database: Database, first: date, last: date) -> set[date]:
    """The days of the range older than PROTECTED_AFTER_DAYS that were already aggregated."""
    before = protection_start() - timedelta(days=1)
    if first > before:
        return set()
    return await aggregated_days(database, first, min(last, before))


async def refresh(
    database: Database, first: date, last: date, *, run_by: str, force: bool = False
) -> RefreshReport:
    """Aggregate every Paris day from `first` to `last` into the indicators' tables; BAD_USER_INPUT
    for a range re-aggregating published history (see PROTECTED_AFTER_DAYS) unless `force`."""
    check_range(first, last)
    if not force:
        protected = await protected_days(database, first, last)
        if protected:
            raise BadUserInput(
                f"{len(protected)} day(s) from {min(protected)} to {max(protected)} are over "
                f"{PROTECTED_AFTER_DAYS} days old and already aggregated: re-running them would rewrite "
                "published figures from today's data (force it if that is meant)."
            )
    run_id = new_id()
    async with database.session() as session:
        session.add(IndicatorRun(id=run_id, first_day=first, last_day=last, run_by=run_by[:100]))
    back = first - timedelta(days=FOLLOW_UP_DAYS)
    async with database.read() as connection:
        figures = await collect(connection, first, last)
        followed = await reminders_followed(connection, back, first - timedelta(days=1))
    written = 0
    for day in days_between(first, last):
        cells = [
            {"day": day, "indicator": indicator, "dimension": dimension, "organization": "", "value": value}
            for (indicator, dimension), value in sorted(figures.cells[day].items())
        ] + [
            {
                "day": day,
                "indicator": "documents",
                "dimension": sector,
                "organization": organization,
                "value": value,
            }
            for (sector, organization), value in sorted(figures.documents[day].items())
        ]
        delays = [
            {
                "day": day,
                "category": category,
                "delay_days": delay,
                "organization": organization,
                "documents": count,
            }
            for (category, delay, organization), count in sorted(figures.delays[day].items())
        ]
        async with database.session() as session:
            await session.execute(delete(IndicatorCell).where(IndicatorCell.day == day))
            await session.execute(delete(IndicatorDelay).where(IndicatorDelay.day == day))
            if cells:
                await session.execute(insert(IndicatorCell), cells)
            if delays:
                await session.execute(insert(IndicatorDelay), delays)
        written += len(cells) + len(delays)
    written += await _rewrite_followed(database, back, first - timedelta(days=1), followed)
    async with database.session() as session:
        await session.execute(
            update(IndicatorRun).where(IndicatorRun.id == run_id).values(finished_at=utcnow(), cells=written)
        )
    return RefreshReport(first, last, len(days_between(first, last)), written)


async def _rewrite_followed(database: Database, first: date, last: date, followed: dict[date, int]) -> int:
    """The FOLLOWED cells of the aggregated days from `first` to `last`, recomputed."""
    days = await aggregated_days(database, first, last)
    cells = [
        {"day": day, "indicator": FOLLOWED, "dimension": "", "organization": "", "value": followed[day]}
        for day in sorted(days)
        if followed.get(day)
    ]
    async with database.session() as session:
        await session.execute(
            delete(IndicatorCell).where(
                IndicatorCell.indicator == FOLLOWED, IndicatorCell.day >= first, IndicatorCell.day <= last
            )
        )
        if cells:
            await session.execute(insert(IndicatorCell), cells)
    return len(cells)
