"""The issue's done criterion on the demo's synthetic year (both databases): the published
figures equal values computed here, independently, from the raw rows with plain SELECTs and
Europe/Paris month boundaries; small cells are suppressed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from api.access.models import CareRelationship
from api.agenda.models import AgendaItem
from api.demo.activity import create_activity, refresh_year
from api.demo.personas import load_personas
from api.directory.models import Organization, Patient
from api.dossier.models import Document
from api.indicators.service import last_complete_day, report
from api.messaging.models import Message
from api.profile.models import ProfileEntry
from api.settings import Settings

PARIS = ZoneInfo("Europe/Paris")
SECTORS = {"PRIVATE_PRACTICE", "PHARMACY", "LABORATORY", "ESTABLISHMENT", "MEDICO_SOCIAL"}


def _months() -> list[date]:
    """The first days of the last three complete months."""
    last = last_complete_day().replace(day=1)
    months = [last]
    for _ in range(2):
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def _bounds(month: date) -> tuple[datetime, datetime]:
    following = (month + timedelta(days=32)).replace(day=1)
    return tuple(datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC) for day in (month, following))


@pytest.fixture(scope="module")
async def demo(own_database):
    await load_personas(own_database)
    assert await create_activity(own_database) == 400
    await refresh_year(own_database)
    # The demo's second run leaves the published year alone and still aggregates the recent days.
    again = await refresh_year(own_database)
    assert 0 < again.days <= 91
    return own_database


async def _expected(database, month: date) -> dict[str, object]:
    start, end = _bounds(month)
    async with database.read() as connection:
        sectors: Counter[str] = Counter()
        for kind, depositor, count in await connection.execute(
            select(Organization.kind, Document.depositor_kind, func.count())
            .select_from(Document)
            .outerjoin(Organization, Organization.id == Document.organization_id)
            .where(Document.deposited_at >= start, Document.deposited_at < end)
            .group_by(Organization.kind, Document.depositor_kind)
        ):
            if kind:
                sectors[kind if kind in SECTORS else "OTHER"] += count
            else:
                sectors["PATIENT" if depositor in ("PATIENT", "REPRESENTATIVE") else "OTHER"] += count
        messages = await connection.scalar(
            select(func.count()).select_from(Message).where(Message.sent_at >= start, Message.sent_at < end)
        )
        open_spaces = select(Patient.id).where(Patient.status == "OPEN", Patient.opened_at < end)
        opened = await connection.scalar(select(func.count()).select_from(open_spaces.subquery()))
        reminders = (
            await connection.execute(
                select(AgendaItem.reminded_at, AgendaItem.status, AgendaItem.done_on).where(
                    AgendaItem.rule_code.is_not(None),
                    AgendaItem.kind.in_(("SCREENING", "VACCINATION", "CHECKUP")),
                    AgendaItem.reminded_at >= start,
                    AgendaItem.reminded_at < end,
                )
            )
        ).all()
        followed = sum(
            1
            for reminded_at, status, done_on in reminders
            if status == "DONE" and 0 <= (done_on - reminded_at.astimezone(PARIS).date()).days <= 90
        )
        key_data = {
            "MEDECIN_TRAITANT": set(
                await connection.scalars(
                    select(CareRelationship.patient_id).where(
                        CareRelationship.role == "MEDECIN_TRAITANT",
                        CareRelationship.created_at < end,
                        CareRelationship.patient_id.in_(open_spaces),
                    )
                )
            )
        }
        for kind in ("VACCINATION", "ALLERGY"):
            key_data[kind] = set(
                await connection.scalars(
                    select(ProfileEntry.patient_id).where(
                        ProfileEntry.kind == kind,
                        ProfileEntry.created_at < end,
                        ProfileEntry.patient_id.in_(open_spaces),
                    )
                )
            )
    key_data["ALL"] = key_data["MEDECIN_TRAITANT"] & key_data["VACCINATION"] & key_data["ALLERGY"]
    return {
        "documents": {None: sum(sectors.values()), **sectors},
        "messages": messages,
        "spaces_opened": opened,
        "reminders": {"SENT": len(reminders), "FOLLOWED": followed},
        "key_data": {datum: len(found) for datum, found in key_data.items()},
    }


def _points(found, indicator: str, period: str) -> dict[str | None, tuple[float | None, bool]]:
    return {
        point.dimension: (point.value, point.suppressed)
        for point in found.series_of(indicator).points
        if point.period == period
    }


def _check(published: tuple[float | None, bool], expected: float, threshold: int) -> bool:
    """A published figure is the expected one, a suppressed one has a value withheld; a small
    count is never published. Returns whether it was published."""
    value, suppressed = published
    if suppressed:
        assert value is None
        return False
    assert value == expected, (published, expected)
    return True


@pytest.mark.parametrize("threshold", [1, 10])
async def test_the_demo_year_matches_independent_counts(demo, threshold) -> None:
    months = _months()
    settings = Settings(_env_file=None, indicators_min_cell=threshold, population=1200)
    found = await report(demo, settings, months[0], months[-1])
    published = Counter()
    for month in months:
        period = f"{month.year:04d}-{month.month:02d}"
        expected = await _expected(demo, month)
        assert expected["spaces_opened"] >= 100
        for dimension, (value, suppressed) in _points(found, "documents_deposited", period).items():
            count = expected["documents"].get(dimension, 0)
            published["documents"] += _check((value, suppressed), float(count), threshold)
            if 0 < count < threshold:
                assert suppressed, (period, dimension, count)
        assert _points(found, "documents_deposited", period)[None] == (
            float(expected["documents"][None]),
            False,
        )
        messages = expected["messages"]
        assert _points(found, "messages", period) == {
            None: (None, True) if 0 < messages < threshold else (float(messages), False)
        }
        assert _points(found, "spaces_opened", period) == {None: (float(expected["spaces_opened"]), False)}
        reminders = _points(found, "prevention_reminders", period)
        sent, followed = expected["reminders"]["SENT"], expected["reminders"]["FOLLOWED"]
        published["reminders"] += _check(reminders["SENT"], float(sent), threshold)
        published["reminders"] += _check(reminders["FOLLOWED"], float(followed), threshold)
        for count, dimension in ((sent, "SENT"), (followed, "FOLLOWED"), (sent - followed, "FOLLOWED")):
            if 0 < count < threshold:
                assert reminders[dimension] == (None, True), (period, dimension, count)
        opened = expected["spaces_opened"]
        for datum, (value, suppressed) in _points(found, "key_data_share", period).items():
            present = expected["key_data"][datum]
            published["key_data"] += _check(
                (value, suppressed), round(100.0 * present / opened, 2), threshold
            )
            if 0 < present < threshold or 0 < opened - present < threshold:
                assert suppressed, (period, datum, present)
    # The comparisons are not vacuous: most figures are published.
    assert published["documents"] >= 3 * 4
    assert published["reminders"] >= 3
    assert published["key_data"] >= 3 * 3
    if threshold == 10:
        # Something is small in the demo (its single medico-social structure): suppressed.
        assert any(
            point.suppressed for point in found.series_of("documents_deposited").points if point.dimension
        )
