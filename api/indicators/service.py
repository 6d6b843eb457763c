"""Reading the published indicators: the daily cells folded into months, then suppressed.

Reads only the indicators' own tables (three statements whatever the number
of spaces) and applies `suppression` before anything leaves: a suppressed
cell is a null value with `suppressed` set.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from api.db import Database
from api.errors import BadUserInput
from api.indicators.definitions import BY_ID, DEFINITIONS, FOLLOW_UP_DAYS, KEY_DATA, SECTORS, Definition
from api.indicators.models import IndicatorCell, IndicatorDelay
from api.indicators.suppression import hide_group, hide_subset, is_small, too_few_contributors
from api.settings import Settings
from api.timezones import paris_today

MAX_MONTHS = 60
EARLIEST = date(2000, 1, 1)
# Every aggregated day has this stock's row (zero included): the days a month has rows for.
AGGREGATED_MARK = "spaces_opened"


@dataclass(frozen=True, slots=True)
class Point:
    period: str  # YYYY-MM
    dimension: str | None
    value: float | None
    suppressed: bool
    # The figure may still change: a month's FOLLOWED reminders until FOLLOW_UP_DAYS after its end.
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    definition: Definition
    points: list[Point]


@dataclass(frozen=True, slots=True)
class Report:
    first: date
    last: date
    months: list[str]
    computed_through: date | None
    min_cell: int
    population: int
    series: list[Series]

    def series_of(self, indicator_id: str) -> Series:
        return next(series for series in self.series if series.definition.id == indicator_id)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _shift_year(month: str, years: int) -> str:
    return f"{int(month[:4]) + years:04d}{month[4:]}"


def _months(first: date, last: date) -> list[str]:
    months, cursor = [], first.replace(day=1)
    while cursor <= last:
        months.append(_month(cursor))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _days_in(month: str) -> int:
    return _month_end(date(int(month[:4]), int(month[5:]), 1)).day


def last_complete_day() -> date:
    """The last day of the last complete month: yesterday in Paris when it ends a month."""
    yesterday = paris_today() - timedelta(days=1)
    return yesterday if _month_end(yesterday) == yesterday else yesterday.replace(day=1) - timedelta(days=1)


def period(first: date | None, last: date | None) -> tuple[date, date]:
    """The whole months of the period asked (`from` back to its month's first day, `to` on to its
    month's last day, at most the last complete month), or the twelve complete months ending with
    the last complete month; BAD_USER_INPUT when it makes no sense. Whole months only: two periods
    differing by a few days give the same months, so no difference of them isolates a few days."""
    today = paris_today()
    for name, day in (("from", first), ("to", last)):
        if day is not None and day < EARLIEST:
            raise BadUserInput(f"`{name}` must be on or after {EARLIEST.isoformat()}.")
    if first is not None and last is not None and first > last:
        raise BadUserInput("`from` must not come after `to`.")
    if last is not None and last >= today:
        raise BadUserInput("`to` must be a past day: today's figures are not aggregated yet.")
    latest = last_complete_day()
    last = latest if last is None else min(_month_end(last), latest)
    if first is None:
        start = last.replace(day=1)
        for _ in range(11):
            start = (start - timedelta(days=1)).replace(day=1)
        first = start
    first = first.replace(day=1)
    if first > last:
        raise BadUserInput(
            "The period holds no complete month: a month is published once it is over "
            f"(the last is {_month(latest)})."
        )
    if len(_months(first, last)) > MAX_MONTHS:
        raise BadUserInput(f"A period spans at most {MAX_MONTHS} months.")
    return first, last


class _Months:
    """The cells of the period, folded into whole months: flows summed (with each organization's
    share), stocks at the month's last day. A month is complete when each of its days was aggregated."""

    def __init__(self, rows: list[tuple[date, str, str, str, int]]) -> None:
        self.flows: dict[tuple[str, str, str], int] = defaultdict(int)
        self.contributions: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.stocks: dict[tuple[str, str, str], tuple[date, int]] = {}
        aggregated: dict[str, set[date]] = defaultdict(set)
        for day, indicator, dimension, organization, value in rows:
            key = (_month(day), indicator, dimension)
            if indicator == AGGREGATED_MARK:
                aggregated[key[0]].add(day)
            self.flows[key] += value
            self.contributions[key][organization] += value
            if key not in self.stocks or self.stocks[key][0] < day:
                self.stocks[key] = (day, value)
        self.complete = {month for month, days in aggregated.items() if len(days) == _days_in(month)}

    def flow(self, month: str, indicator: str, dimension: str = "") -> int:
        return self.flows.get((month, indicator, dimension), 0)

    def organizations(self, month: str, indicator: str, dimension: str) -> dict[str, int]:
        return self.contributions.get((month, indicator, dimension), {})

    def stock(self, month: str, indicator: str, dimension: str = "") -> int | None:
        found = self.stocks.get((month, indicator, dimension))
        return None if found is None else found[1]


def _count(month: str, value: int | None, threshold: int, dimension: str | None = None) -> Point:
    if value is not None and is_small(value, threshold):
        return Point(month, dimension, None, True)
    return Point(month, dimension, None if value is None else float(value), False)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2)


def _median(histogram: dict[int, int]) -> float:
    ordered = sorted(histogram.items())
    total = sum(histogram.values())
    middle = [(total - 1) // 2, total // 2]
    values, seen = [], 0
    for delay, count in ordered:
        for position in middle:
            if seen <= position < seen + count:
                values.append(delay)
        seen += count
    return sum(values) / 2


async def report(database: Database, settings: Settings, first: date | None, last: date | None) -> Report:
    first, last = period(first, last)
    threshold = settings.indicators_min_cell
    since = first.replace(year=first.year - 1)
    async with database.read() as connection:
        cell_rows = (
            await connection.execute(
                select(
                    IndicatorCell.day,
                    IndicatorCell.indicator,
                    IndicatorCell.dimension,
                    IndicatorCell.organization,
                    IndicatorCell.value,
                )
                .where(IndicatorCell.day >= since, IndicatorCell.day <= last)
                .where(
                    (IndicatorCell.day >= first)
                    | IndicatorCell.indicator.in_(("documents", AGGREGATED_MARK))  # for year-on-year growth
                )
            )
        ).all()
        delay_rows = (
            await connection.execute(
                select(
                    IndicatorDelay.day,
                    IndicatorDelay.category,
                    IndicatorDelay.delay_days,
                    IndicatorDelay.organization,
                    IndicatorDelay.documents,
                ).where(IndicatorDelay.day >= first, IndicatorDelay.day <= last)
            )
        ).all()
        computed_through = await connection.scalar(
            select(func.max(IndicatorCell.day)).where(IndicatorCell.day <= last)
        )
        # FOLLOWED of a reminder day is final once a day FOLLOW_UP_DAYS later was aggregated.
        aggregated_through = await connection.scalar(
            select(func.max(IndicatorCell.day)).where(IndicatorCell.indicator == AGGREGATED_MARK)
        )
    folded = _Months([(row[0], row[1], row[2], row[3], row[4]) for row in cell_rows])
    delays: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    senders: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, category, delay, organization, documents in delay_rows:
        delays[(_month(day), category)][delay] += documents
        senders[(_month(day), category)][organization] += documents
    months = _months(first, last)
    builders = {
        "spaces_opened": lambda m: [_count(m, folded.stock(m, "spaces_opened"), threshold)],
        "population_share": lambda m: [_population(m, folded, threshold, settings.population)],
        "spaces_activated": lambda m: [_within(m, folded, "spaces_activated", ("spaces_opened",), threshold)],
        "active_30_days": lambda m: [
            _within(m, folded, "active_30_days", ("spaces_activated", "spaces_opened"), threshold)
        ],
        "documents_deposited": lambda m: _documents(m, folded, threshold),
        "documents_growth": lambda m: [_growth(m, folded, threshold)],
        "professional_consultations": lambda m: [_count(m, folded.flow(m, "consultations"), threshold)],
        "messages": lambda m: [_count(m, folded.flow(m, "messages"), threshold)],
        "prevention_reminders": lambda m: _reminders(m, folded, threshold, aggregated_through),
        "apps_connected": lambda m: [_count(m, folded.stock(m, "apps_connected"), threshold)],
        "deposit_delay_median": lambda m: _delays(m, delays, senders, threshold),
        "key_data_share": lambda m: _key_data(m, folded, threshold),
        "lab_duplicates": lambda m: [_count(m, folded.flow(m, "lab_duplicates"), threshold)],
    }

    def points(definition: Definition, month: str) -> list[Point]:
        found = builders[definition.id](month)
        if month in folded.complete:
            return found
        # A month not wholly aggregated has no figure (null), never a zero or a partial count.
        return [Point(month, point.dimension, None, False) for point in found]

    series = [
        Series(definition, [point for month in months for point in points(definition, month)])
        for definition in DEFINITIONS
    ]
    return Report(first, last, months, computed_through, threshold, settings.population, series)


def _population(month: str, folded: _Months, threshold: int, population: int) -> Point:
    opened = folded.stock(month, "spaces_opened")
    if opened is None:
        return Point(month, None, None, False)
    if is_small(opened, threshold):
        return Point(month, None, None, True)
    return Point(month, None, round(100.0 * opened / population, 6), False)


def _within(month: str, folded: _Months, indicator: str, wholes: tuple[str, ...], threshold: int) -> Point:
    """A count published with the wholes it is part of: hidden when small, or small by difference."""
    part = folded.stock(month, indicator)
    if part is None:
        return Point(month, None, None, False)
    for whole in wholes:
        count = folded.stock(month, whole)
        if count is not None and hide_subset(part, count, threshold):
            return Point(month, None, None, True)
    return _count(month, part, threshold)


def _documents(month: str, folded: _Months, threshold: int) -> list[Point]:
    parts = {sector: folded.flow(month, "documents", sector) for sector in SECTORS}
    # The patient's side is not an organization: its deposits are many people's, not one sender's.
    sensitive = {
        sector
        for sector in SECTORS
        if sector != "PATIENT" and too_few_contributors(folded.organizations(month, "documents", sector))
    }
    total = sum(parts.values())
    hidden, total_hidden = hide_group(parts, total, threshold, sensitive)
    points = [Point(month, None, None if total_hidden else float(total), total_hidden)]
    for sector, count in parts.items():
        points.append(Point(month, sector, None if sector in hidden else float(count), sector in hidden))
    return points


def _growth(month: str, folded: _Months, threshold: int) -> Point:
    earlier = _shift_year(month, -1)
    if earlier not in folded.complete:
        return Point(month, None, None, False)  # whole months only: no figure against a partial one
    current = sum(folded.flow(month, "documents", sector) for sector in SECTORS)
    before = sum(folded.flow(earlier, "documents", sector) for sector in SECTORS)
    if is_small(current, threshold) or is_small(before, threshold):
        return Point(month, None, None, True)
    if before == 0:
        return Point(month, None, None, False)  # nothing to compare with: not a secret, just no figure
    return Point(month, None, round(100.0 * (current - before) / before, 1), False)


def _reminders(month: str, folded: _Months, threshold: int, aggregated_through: date | None) -> list[Point]:
    """SENT and, of those very reminders, FOLLOWED: a part of its whole, hidden when it or the
    difference is small; provisional until the month's last reminder had its FOLLOW_UP_DAYS."""
    sent, followed = folded.flow(month, "reminders_sent"), folded.flow(month, "reminders_followed")
    final_on = _month_end(date(int(month[:4]), int(month[5:]), 1)) + timedelta(days=FOLLOW_UP_DAYS)
    provisional = aggregated_through is None or aggregated_through < final_on
    hide_followed = hide_subset(followed, sent, threshold)
    return [
        _count(month, sent, threshold, "SENT"),
        Point(month, "FOLLOWED", None if hide_followed else float(followed), hide_followed, provisional),
    ]


def _delays(
    month: str,
    delays: dict[tuple[str, str], dict[int, int]],
    senders: dict[tuple[str, str], dict[str, int]],
    threshold: int,
) -> list[Point]:
    points = []
    for category in BY_ID["deposit_delay_median"].dimensions:
        histogram = delays.get((month, category), {})
        documents = sum(histogram.values())
        if documents == 0:
            points.append(Point(month, category, None, False))
        elif documents < threshold or too_few_contributors(senders.get((month, category), {})):
            points.append(Point(month, category, None, True))
        else:
            points.append(Point(month, category, _median(histogram), False))
    return points


def _key_data(month: str, folded: _Months, threshold: int) -> list[Point]:
    opened = folded.stock(month, "spaces_opened")
    points = []
    for datum in KEY_DATA:
        present = folded.stock(month, "key_data", datum)
        # ALL is part of each datum too: each difference must not be small either.
        wholes = [opened] + (
            [folded.stock(month, "key_data", one) for one in KEY_DATA if one != "ALL"]
            if datum == "ALL"
            else []
        )
        if opened is None or present is None or opened == 0:
            points.append(Point(month, datum, None, False))
        elif any(whole is not None and hide_subset(present, whole, threshold) for whole in wholes):
            points.append(Point(month, datum, None, True))
        else:
            points.append(Point(month, datum, _percent(present, opened), False))
    return points
