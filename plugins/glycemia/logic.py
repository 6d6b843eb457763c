"""The follow-up's pure rules: merging readings, the trend, the target. No database."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

from api.errors import BadUserInput

# A change of HbA1c smaller than this, in percentage points, is noise (lab
# variability is about 0.2-0.3 point): below it the trend is STABLE.
TREND_THRESHOLD = 0.3
TARGET_BOUNDS = (5.0, 12.0)  # percent: what a target may be set to
MAX_LAST = 50


class Source(Enum):
    PROFILE = "PROFILE"
    LAB_RESULT = "LAB_RESULT"


class Trend(Enum):
    RISING = "RISING"
    FALLING = "FALLING"
    STABLE = "STABLE"


@dataclass(frozen=True, slots=True)
class Hba1c:
    value: float  # percent
    unit: str
    on: date
    source: Source
    ref: uuid.UUID  # the measurement's id, or the lab reading's
    document_id: uuid.UUID | None = None


def newest_first(readings: Iterable[Hba1c], last: int) -> list[Hba1c]:
    """The `last` most recent readings, newest first (ties: the lab's before the
    profile's, then by id, so the order is stable)."""
    ordered = sorted(
        readings, key=lambda item: (item.on, item.source is Source.LAB_RESULT, item.ref), reverse=True
    )
    return ordered[:last]


def trend(readings: list[Hba1c]) -> Trend | None:
    """From readings newest first: the latest against the one before it; None with fewer than two."""
    if len(readings) < 2:
        return None
    change = readings[0].value - readings[1].value
    if change > TREND_THRESHOLD + 1e-9:
        return Trend.RISING
    if change < -TREND_THRESHOLD - 1e-9:
        return Trend.FALLING
    return Trend.STABLE


def out_of_target(value: float, max_percent: float | None) -> bool | None:
    """Above the target set by the care team; None when no target is set."""
    return None if max_percent is None else value > max_percent


def checked_last(last: int) -> int:
    if not 1 <= last <= MAX_LAST:
        raise BadUserInput(f"last must be between 1 and {MAX_LAST}.", field="last")
    return last


def checked_target(max_percent: float) -> float:
    """The target as stored (to 0.1 point), checked once rounded: 4.96 is 5.0, 12.04 is 12.0."""
    low, high = TARGET_BOUNDS
    value = round(max_percent, 1)
    if not math.isfinite(value) or not low <= value <= high:
        raise BadUserInput(f"An HbA1c target is between {low:g} and {high:g} %.", field="maxPercent")
    return value
