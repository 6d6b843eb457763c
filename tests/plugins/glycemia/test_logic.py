"""The follow-up's rules without a database: order, trend, target, bounds."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from api.errors import BadUserInput
from plugins.glycemia.logic import (
    Hba1c,
    Source,
    Trend,
    checked_last,
    checked_target,
    newest_first,
    out_of_target,
    trend,
)


def reading(value: float, day: int, source: Source = Source.PROFILE) -> Hba1c:
    return Hba1c(value, "%", date(2026, 1, day), source, uuid.uuid4())


def test_readings_are_merged_newest_first_and_cut() -> None:
    old, lab, new = reading(7.0, 1), reading(7.5, 10, Source.LAB_RESULT), reading(6.9, 20)
    assert newest_first([old, new, lab], 2) == [new, lab]


@pytest.mark.parametrize(
    ("latest", "previous", "expected"),
    [(7.5, 7.1, Trend.RISING), (7.4, 7.1, Trend.STABLE), (6.8, 7.1, Trend.STABLE), (6.7, 7.1, Trend.FALLING)],
)
def test_the_trend_moves_beyond_three_tenths_of_a_point(latest, previous, expected) -> None:
    assert trend([reading(latest, 20), reading(previous, 10)]) is expected


def test_no_trend_from_one_reading() -> None:
    assert trend([reading(7.0, 1)]) is None
    assert trend([]) is None


def test_out_of_target_only_above_a_target() -> None:
    assert out_of_target(7.1, 7.0) is True
    assert out_of_target(7.0, 7.0) is False
    assert out_of_target(9.0, None) is None


@pytest.mark.parametrize("value", [4.9, 12.1, float("nan"), float("inf")])
def test_a_target_outside_5_to_12_percent_is_refused(value: float) -> None:
    with pytest.raises(BadUserInput) as refused:
        checked_target(value)
    assert refused.value.extensions["field"] == "maxPercent"


@pytest.mark.parametrize(("value", "stored"), [(4.96, 5.0), (12.04, 12.0), (6.53, 6.5)])
def test_a_target_is_rounded_then_checked(value: float, stored: float) -> None:
    assert checked_target(value) == stored


@pytest.mark.parametrize("value", [4.94, 12.06])
def test_a_target_outside_the_bounds_once_rounded_is_refused(value: float) -> None:
    with pytest.raises(BadUserInput):
        checked_target(value)


def test_last_is_bounded() -> None:
    assert checked_last(1) == 1
    assert checked_last(50) == 50
    for value in (0, 51, -1):
        with pytest.raises(BadUserInput):
            checked_last(value)
