"""The figures of a small controlled dataset, computed by hand (both databases)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from api.indicators.aggregate import refresh
from api.indicators.models import IndicatorCell, IndicatorDelay, IndicatorRun
from api.indicators.service import report
from api.journal.models import JournalEntry
from api.settings import Settings
from tests.indicators import dataset
from tests.indicators.dataset import DAY

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


@pytest.fixture(scope="module")
async def loaded(own_database):
    built = await dataset.build(own_database)
    await refresh(own_database, *MARCH, run_by="test")
    return built


def _settings(min_cell: int) -> Settings:
    return Settings(_env_file=None, indicators_min_cell=min_cell, population=1200)


def _values(found, indicator_id: str) -> dict[str | None, tuple[float | None, bool]]:
    return {
        point.dimension: (point.value, point.suppressed) for point in found.series_of(indicator_id).points
    }


async def _rows(database):
    async with database.read() as connection:
        cells = (
            await connection.execute(select(IndicatorCell).order_by(*IndicatorCell.__table__.primary_key))
        ).all()
        delays = (
            await connection.execute(select(IndicatorDelay).order_by(*IndicatorDelay.__table__.primary_key))
        ).all()
    return [tuple(row) for row in cells], [tuple(row) for row in delays]


async def test_the_month_matches_the_hand_computed_figures(own_database, loaded) -> None:
    found = await report(own_database, _settings(1), *MARCH)
    assert found.months == ["2025-03"]
    assert _values(found, "spaces_opened") == {None: (12.0, False)}
    assert _values(found, "population_share") == {None: (1.0, False)}
    # Patient-side actions: patient 0's messages, patient 5's own document, grants of patients 0 to 4.
    assert _values(found, "spaces_activated") == {None: (6.0, False)}
    assert _values(found, "active_30_days") == {None: (6.0, False)}
    documents = _values(found, "documents_deposited")
    assert documents[None] == (18.0, False)
    assert documents["LABORATORY"] == (13.0, False)  # 11 results, a new version, one on the next Paris day
    # A single pharmacy: its sector's figure would be its own, so it goes, with a complement.
    assert documents["PHARMACY"] == (None, True)
    assert documents["PATIENT"] == (None, True)
    assert documents["ESTABLISHMENT"] == (0.0, False)
    assert _values(found, "professional_consultations") == {None: (2.0, False)}
    assert _values(found, "messages") == {None: (3.0, False)}
    assert _values(found, "prevention_reminders") == {"SENT": (3.0, False), "FOLLOWED": (1.0, False)}
    assert _values(found, "apps_connected") == {None: (4.0, False)}  # one revoked on DAY + 2
    delays = _values(found, "deposit_delay_median")
    # 0,0,1,1,2,3,4,5,6,7,8,9,10: the new version (0) and the next-day result (1) join delays 0..10.
    assert delays["LAB_RESULT"] == (4.0, False)
    assert delays["PRESCRIPTION"] == (None, True)  # the single pharmacy's delays
    assert delays["IMAGING"] == (None, False)
    assert _values(found, "key_data_share") == {
        "MEDECIN_TRAITANT": (83.33, False),
        "VACCINATION": (50.0, False),
        "ALLERGY": (25.0, False),
        "ALL": (25.0, False),
    }
    assert _values(found, "lab_duplicates") == {None: (3.0, False)}
    assert _values(found, "documents_growth") == {None: (None, False)}  # nothing a year before


async def test_days_are_paris_days(own_database, loaded) -> None:
    async with own_database.read() as connection:
        rows = dict(
            (
                await connection.execute(
                    select(IndicatorCell.day, func.sum(IndicatorCell.value))
                    .where(IndicatorCell.indicator == "documents", IndicatorCell.dimension == "LABORATORY")
                    .group_by(IndicatorCell.day)
                )
            ).all()
        )
    # 23:00 UTC on DAY is midnight in Paris: the next day's.
    assert rows == {DAY: 12, DAY + timedelta(days=1): 1}


async def test_small_cells_are_suppressed_with_their_complements(own_database, loaded) -> None:
    found = await report(own_database, _settings(10), *MARCH)
    assert _values(found, "spaces_opened") == {None: (12.0, False)}
    assert _values(found, "spaces_activated") == {None: (None, True)}
    documents = _values(found, "documents_deposited")
    # PHARMACY (4) and PATIENT (1) are small; their sum (5) would be the total minus the rest,
    # so LABORATORY is hidden too; the zeros and the total stay.
    assert documents[None] == (18.0, False)
    assert documents["PHARMACY"] == documents["PATIENT"] == documents["LABORATORY"] == (None, True)
    assert documents["ESTABLISHMENT"] == (0.0, False)
    # 10 of 12 spaces have a médecin traitant: 2 without would be readable.
    assert _values(found, "key_data_share")["MEDECIN_TRAITANT"] == (None, True)
    assert _values(found, "deposit_delay_median")["LAB_RESULT"] == (4.0, False)  # 13 documents
    assert _values(found, "deposit_delay_median")["PRESCRIPTION"] == (None, True)
    assert _values(found, "lab_duplicates") == {None: (None, True)}


async def test_refresh_is_idempotent_and_a_past_day_can_be_rerun(own_database, loaded) -> None:
    before = await _rows(own_database)
    await refresh(own_database, *MARCH, run_by="test", force=True)  # over 90 days old: forced
    assert await _rows(own_database) == before
    # A late deposit for DAY: re-running DAY alone changes DAY's rows only.
    patient = loaded["patients"][9]
    async with own_database.session() as session:
        await session.execute(
            insert(dataset.Document), [dataset._document(patient, None, day=DAY, depositor="PATIENT")]
        )
    await refresh(own_database, DAY, DAY, run_by="test", force=True)
    cells, _delays = await _rows(own_database)
    changed = set(cells) ^ set(before[0])
    assert {row[0] for row in changed} == {DAY}
    assert (DAY, "documents", "PATIENT", "", 2) in cells


async def test_the_aggregation_is_journaled_as_a_statistic_not_as_access(own_database, loaded) -> None:
    async with own_database.read() as connection:
        entries = await connection.scalar(select(func.count()).select_from(JournalEntry))
        runs_before = await connection.scalar(select(func.count()).select_from(IndicatorRun))
    await refresh(own_database, DAY, DAY, run_by="a test", force=True)
    async with own_database.read() as connection:
        assert await connection.scalar(select(func.count()).select_from(JournalEntry)) == entries
        run = (
            await connection.execute(select(IndicatorRun).order_by(IndicatorRun.started_at.desc()))
        ).first()
        assert await connection.scalar(select(func.count()).select_from(IndicatorRun)) == runs_before + 1
    assert (run.first_day, run.last_day, run.run_by) == (DAY, DAY, "a test")
    assert run.finished_at is not None
    assert run.cells > 0


async def test_a_period_is_whole_months_so_no_difference_isolates_days(own_database, loaded) -> None:
    """03-01..03-31 and 03-01..03-10 once gave 18 and 17 documents: the 03-11..03-31 cell was 1."""
    settings = _settings(10)
    whole = await report(own_database, settings, *MARCH)
    for first, last in (
        (date(2025, 3, 1), date(2025, 3, 10)),
        (date(2025, 3, 11), date(2025, 3, 31)),
        (date(2025, 3, 9), date(2025, 3, 12)),
    ):
        found = await report(own_database, settings, first, last)
        assert (found.first, found.last, found.months) == (*MARCH, ["2025-03"])
        assert found.series == whole.series
    # Stocks too: the month's figure is its last day's, whatever day `to` names.
    found = await report(own_database, _settings(1), date(2025, 3, 1), date(2025, 3, 5))
    assert _values(found, "apps_connected") == {None: (4.0, False)}


async def test_the_prevention_reminders_count_prevention_items_only(own_database, loaded) -> None:
    # The appointment reminded on DAY and done the next day is neither SENT nor FOLLOWED.
    found = await report(own_database, _settings(1), *MARCH)
    assert _values(found, "prevention_reminders") == {"SENT": (3.0, False), "FOLLOWED": (1.0, False)}


async def test_a_sector_or_a_category_of_one_organization_is_suppressed(own_database, loaded) -> None:
    # Even with no minimum count, one pharmacy's four deposits and their delays are not published.
    found = await report(own_database, _settings(1), *MARCH)
    documents = _values(found, "documents_deposited")
    assert documents["PHARMACY"] == (None, True)
    assert documents["PATIENT"] == (None, True)  # else the total minus the others gives PHARMACY
    assert documents["LABORATORY"] == (13.0, False)  # three laboratories, none over 85 %
    delays = _values(found, "deposit_delay_median")
    assert delays["PRESCRIPTION"] == (None, True)
    assert delays["LAB_RESULT"][1] is False  # three laboratories


async def test_months_not_wholly_aggregated_have_no_figure(own_database, loaded) -> None:
    # April 2025 aggregated but for its last day, May never: null everywhere, never 0.
    await refresh(own_database, date(2025, 4, 1), date(2025, 4, 29), run_by="test")
    found = await report(own_database, _settings(1), date(2025, 3, 1), date(2025, 5, 31))
    assert found.months == ["2025-03", "2025-04", "2025-05"]
    for series in found.series:
        for point in series.points:
            if point.period != "2025-03":
                assert (point.value, point.suppressed) == (None, False), (series.definition.id, point)
    march = [point for point in found.series_of("messages").points if point.period == "2025-03"]
    assert march[0].value == 3.0


async def _cells_of_a_month(database, month_start: date, last_day: dict[tuple[str, str], int]) -> None:
    """Every day of the month has a row (it was aggregated); the stocks are given on its last day."""
    end = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = [
        {
            "day": month_start + timedelta(days=offset),
            "indicator": "spaces_opened",
            "dimension": "",
            "value": 0,
        }
        for offset in range((end - month_start).days)
    ]
    rows += [
        {"day": end, "indicator": indicator, "dimension": dimension, "value": value}
        for (indicator, dimension), value in last_day.items()
    ]
    async with database.session() as session:
        await session.execute(insert(IndicatorCell), rows)


async def test_a_part_is_hidden_when_its_whole_minus_it_is_small(own_database, loaded) -> None:
    await _cells_of_a_month(
        own_database,
        date(2020, 1, 1),
        {
            ("spaces_opened", ""): 100,
            ("spaces_activated", ""): 95,  # 5 not activated
            ("active_30_days", ""): 88,  # 7 activated but not active
            ("key_data", "MEDECIN_TRAITANT"): 50,
            ("key_data", "VACCINATION"): 60,
            ("key_data", "ALLERGY"): 70,
            ("key_data", "ALL"): 45,  # 5 with a médecin traitant lack the rest
        },
    )
    found = await report(own_database, _settings(10), date(2020, 1, 1), date(2020, 1, 31))
    assert _values(found, "spaces_opened") == {None: (100.0, False)}
    assert _values(found, "spaces_activated") == {None: (None, True)}
    assert _values(found, "active_30_days") == {None: (None, True)}
    assert _values(found, "key_data_share") == {
        "MEDECIN_TRAITANT": (50.0, False),
        "VACCINATION": (60.0, False),
        "ALLERGY": (70.0, False),
        "ALL": (None, True),
    }


async def test_growth_compares_whole_months(own_database, loaded) -> None:
    """A year earlier, 20 deposits over March 2024; March 2025 has 19 (18 and the late deposit of
    the idempotence test), whatever days are asked: -5 %, never a part of a month against a whole."""
    lab = loaded["labs"][0]
    documents = [
        dataset._document(
            loaded["patients"][number % 12], lab, day=date(2024, 3, 5 + number), type_code=str(number)
        )
        for number in range(20)
    ]
    async with own_database.session() as session:
        await session.execute(insert(dataset.Document), documents)
    await refresh(own_database, date(2024, 3, 1), date(2024, 3, 31), run_by="test")
    for first, last in (MARCH, (date(2025, 3, 15), date(2025, 3, 31)), (date(2025, 3, 1), date(2025, 3, 3))):
        found = await report(own_database, _settings(10), first, last)
        assert _values(found, "documents_growth") == {None: (-5.0, False)}
