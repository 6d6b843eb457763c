"""`espace indicators refresh`: the daily aggregation into the indicators' tables.

A range is read in one pass (`sources.collect`), then each day is written in
a transaction of its own that replaces the day's rows: deleting then inserting
gives the same rows however often a day is re-run, and drops a cell that went
back to zero (an upsert would leave it). The run itself is the statistic's
journal: one `indicator_runs` row, never an entry in any space's journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, insert, update

from api.db import Database, new_id, utcnow
from api.errors import BadUserInput
from api.indicators.models import IndicatorCell, IndicatorDelay, IndicatorRun
from api.indicators.sources import collect, days_between
from api.timezones import paris_today

MAX_DAYS = 3 * 366


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


async def refresh(database: Database, first: date, last: date, *, run_by: str) -> RefreshReport:
    """Aggregate every Paris day from `first` to `last` into the indicators' tables."""
    check_range(first, last)
    run_id = new_id()
    async with database.session() as session:
        session.add(IndicatorRun(id=run_id, first_day=first, last_day=last, run_by=run_by[:100]))
    async with database.read() as connection:
        figures = await collect(connection, first, last)
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
    async with database.session() as session:
        await session.execute(
            update(IndicatorRun).where(IndicatorRun.id == run_id).values(finished_at=utcnow(), cells=written)
        )
    return RefreshReport(first, last, len(days_between(first, last)), written)
