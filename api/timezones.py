"""Time zones of the service: storage is UTC, days are Europe/Paris days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris_today() -> date:
    return datetime.now(PARIS).date()


def paris_day_start(day: date, *, next_day: bool = False) -> datetime:
    """The UTC instant a Paris day starts (or the next one, for an inclusive end)."""
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC)
