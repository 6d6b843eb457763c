"""Published history (both databases): prevention reminders FOLLOWED keyed on the reminder's
day, recomputed for 90 days and provisional until final; old days not re-aggregated unless forced."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, update

from api.agenda.models import AgendaItem
from api.db import new_id
from api.errors import BadUserInput
from api.indicators.aggregate import refresh, yesterday
from api.indicators.service import report
from api.settings import Settings
from tests.indicators import dataset
from tests.indicators.dataset import at

JANUARY = (date(2022, 1, 1), date(2022, 1, 31))
FEBRUARY = (date(2022, 2, 1), date(2022, 2, 28))


def _settings() -> Settings:
    return Settings(_env_file=None, indicators_min_cell=1, population=1200)


def _reminder(patient_id, number: int, reminded: date, done: date | None) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "id": new_id(),
        "key": f"history-{number}",
        "kind": "SCREENING",
        "rule_code": "colorectal-screening",
        "title": "x",
        "day": reminded,
        "status": "DONE" if done else "DUE",
        "done_on": done,
        "reminded_at": at(reminded),
    }


@pytest.fixture(scope="module")
async def reminders(own_database):
    patients = (await dataset.build(own_database))["patients"]
    late = _reminder(patients[3], 3, date(2022, 1, 25), None)  # done later, see below
    rows = [
        _reminder(patients[0], 0, date(2022, 1, 20), date(2022, 2, 10)),  # January's, done in February
        _reminder(patients[1], 1, date(2022, 2, 5), date(2022, 2, 6)),
        _reminder(patients[2], 2, date(2022, 2, 10), date(2022, 6, 1)),  # over 90 days: not followed
        late,
    ]
    async with own_database.session() as session:
        await session.execute(insert(AgendaItem), rows)
    await refresh(own_database, JANUARY[0], FEBRUARY[1], run_by="test")
    return late["id"]


def _reminder_points(found, month: str) -> dict[str, tuple[float | None, bool, bool]]:
    return {
        point.dimension: (point.value, point.suppressed, point.provisional)
        for point in found.series_of("prevention_reminders").points
        if point.period == month
    }


async def test_followed_counts_the_reminders_sent_in_the_month(own_database, reminders) -> None:
    found = await report(own_database, _settings(), JANUARY[0], FEBRUARY[1])
    # January: 2 sent, the one done on 02-10 was followed (not counted in February, when it was done).
    assert _reminder_points(found, "2022-01") == {"SENT": (2.0, False, False), "FOLLOWED": (1.0, False, True)}
    assert _reminder_points(found, "2022-02") == {"SENT": (2.0, False, False), "FOLLOWED": (1.0, False, True)}


async def test_a_day_refreshes_the_followed_of_the_90_days_before(own_database, reminders) -> None:
    # The 01-25 reminder is done on 03-01: aggregating March (never January again) updates January.
    async with own_database.session() as session:
        await session.execute(
            update(AgendaItem)
            .where(AgendaItem.id == reminders)
            .values(status="DONE", done_on=date(2022, 3, 1))
        )
    await refresh(own_database, date(2022, 3, 1), date(2022, 3, 31), run_by="test")
    found = await report(own_database, _settings(), JANUARY[0], date(2022, 3, 31))
    assert _reminder_points(found, "2022-01")["FOLLOWED"] == (2.0, False, True)
    assert _reminder_points(found, "2022-02")["FOLLOWED"] == (1.0, False, True)
    assert _reminder_points(found, "2022-03")["FOLLOWED"] == (0.0, False, True)
    # Final 90 days after the month's end: January once 05-01 is aggregated, February not yet (05-29).
    await refresh(own_database, date(2022, 5, 1), date(2022, 5, 1), run_by="test")
    found = await report(own_database, _settings(), JANUARY[0], FEBRUARY[1])
    assert _reminder_points(found, "2022-01")["FOLLOWED"] == (2.0, False, False)
    assert _reminder_points(found, "2022-02")["FOLLOWED"] == (1.0, False, True)


async def test_an_old_aggregated_day_is_not_rewritten_unless_forced(own_database, reminders) -> None:
    with pytest.raises(BadUserInput, match=r"1 day\(s\) from 2022-01-10 to 2022-01-10 are over 90 days old"):
        await refresh(own_database, date(2022, 1, 10), date(2022, 1, 10), run_by="test")
    with pytest.raises(BadUserInput, match=r"1 day\(s\) from 2022-01-01 to 2022-01-01"):
        await refresh(own_database, date(2021, 12, 31), date(2022, 1, 1), run_by="test")
    await refresh(own_database, date(2022, 1, 10), date(2022, 1, 10), run_by="test", force=True)
    # Never aggregated: the first aggregation of an old day is allowed.
    await refresh(own_database, date(2021, 6, 1), date(2021, 6, 3), run_by="test")
    # Recent days stay open to re-runs.
    recent = yesterday() - timedelta(days=89)
    await refresh(own_database, recent, yesterday(), run_by="test")
    await refresh(own_database, recent, yesterday(), run_by="test")
