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
    assert documents["PHARMACY"] == (4.0, False)
    assert documents["PATIENT"] == (1.0, False)
    assert documents["ESTABLISHMENT"] == (0.0, False)
    assert _values(found, "professional_consultations") == {None: (2.0, False)}
    assert _values(found, "messages") == {None: (3.0, False)}
    assert _values(found, "prevention_reminders") == {"SENT": (3.0, False), "FOLLOWED": (1.0, False)}
    assert _values(found, "apps_connected") == {None: (4.0, False)}  # one revoked on DAY + 2
    delays = _values(found, "deposit_delay_median")
    # 0,0,1,1,2,3,4,5,6,7,8,9,10: the new version (0) and the next-day result (1) join delays 0..10.
    assert delays["LAB_RESULT"] == (4.0, False)
    assert delays["PRESCRIPTION"] == (0.0, False)
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
                    select(IndicatorCell.day, IndicatorCell.value).where(
                        IndicatorCell.indicator == "documents", IndicatorCell.dimension == "LABORATORY"
                    )
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
    await refresh(own_database, *MARCH, run_by="test")
    assert await _rows(own_database) == before
    # A late deposit for DAY: re-running DAY alone changes DAY's rows only.
    patient = loaded["patients"][9]
    async with own_database.session() as session:
        await session.execute(
            insert(dataset.Document), [dataset._document(patient, None, day=DAY, depositor="PATIENT")]
        )
    await refresh(own_database, DAY, DAY, run_by="test")
    cells, _delays = await _rows(own_database)
    changed = set(cells) ^ set(before[0])
    assert {row[0] for row in changed} == {DAY}
    assert (DAY, "documents", "PATIENT", 2) in cells


async def test_the_aggregation_is_journaled_as_a_statistic_not_as_access(own_database, loaded) -> None:
    async with own_database.read() as connection:
        entries = await connection.scalar(select(func.count()).select_from(JournalEntry))
        runs_before = await connection.scalar(select(func.count()).select_from(IndicatorRun))
    await refresh(own_database, DAY, DAY, run_by="a test")
    async with own_database.read() as connection:
        assert await connection.scalar(select(func.count()).select_from(JournalEntry)) == entries
        run = (
            await connection.execute(select(IndicatorRun).order_by(IndicatorRun.started_at.desc()))
        ).first()
        assert await connection.scalar(select(func.count()).select_from(IndicatorRun)) == runs_before + 1
    assert (run.first_day, run.last_day, run.run_by) == (DAY, DAY, "a test")
    assert run.finished_at is not None
    assert run.cells > 0
