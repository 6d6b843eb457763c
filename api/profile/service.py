"""The medical profile's operations: read with the space's PROFILE part, written
by the patient's side and the care team; journaled when not the patient's own."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.agenda.staleness import inputs_changed
from api.db import utcnow
from api.errors import BadUserInput
from api.journal import outbox
from api.journal.records import AccessAction
from api.profile.models import EntryKind, Measurement, ProfileEntry
from api.text import clean_text
from api.timezones import PARIS

# Measurement kinds, the UCUM units each accepts, and plausible bounds in those units.
MEASUREMENTS: dict[str, dict[str, tuple[float, float]]] = {
    "WEIGHT": {"kg": (0.3, 400.0)},
    "HEIGHT": {"cm": (20.0, 260.0)},
    "SYSTOLIC_BLOOD_PRESSURE": {"mm[Hg]": (40.0, 300.0)},
    "DIASTOLIC_BLOOD_PRESSURE": {"mm[Hg]": (20.0, 200.0)},
    "GLYCEMIA": {"g/L": (0.2, 8.0), "mmol/L": (1.0, 45.0)},
    "HBA1C": {"%": (3.0, 20.0)},
}


@dataclass(frozen=True, slots=True)
class EntryRecord:
    id: uuid.UUID
    kind: str
    label: str
    details: str | None
    occurred_on: date | None
    entered_by_kind: str
    entered_by_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MeasurementRecord:
    id: uuid.UUID
    kind: str
    value: float
    unit: str
    measured_at: datetime
    entered_by_kind: str
    entered_by_name: str


ENTRY_COLUMNS = (
    ProfileEntry.id,
    ProfileEntry.kind,
    ProfileEntry.label,
    ProfileEntry.details,
    ProfileEntry.occurred_on,
    ProfileEntry.entered_by_kind,
    ProfileEntry.entered_by_name,
    ProfileEntry.created_at,
)
MEASUREMENT_COLUMNS = (
    Measurement.id,
    Measurement.kind,
    Measurement.value,
    Measurement.unit,
    Measurement.measured_at,
    Measurement.entered_by_kind,
    Measurement.entered_by_name,
)


def _entered_by(access: Access) -> tuple[str, str]:
    principal = access.principal
    return principal.kind.value, principal.app_name or principal.display_name


async def entries(access: Access, patient_id: uuid.UUID) -> list[EntryRecord]:
    """Every entry of the profile, in one statement, oldest first."""
    granted = await access.space(patient_id, Action.READ, SpacePart.PROFILE)
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(*ENTRY_COLUMNS)
            .where(ProfileEntry.patient_id == patient_id)
            .order_by(ProfileEntry.created_at, ProfileEntry.id)
        )
        found = [EntryRecord(*row) for row in rows]
    access.read(granted, "MedicalProfile", patient_id)
    return found


async def measurements(
    access: Access, patient_id: uuid.UUID, *, kind: str | None, limit: int, before: uuid.UUID | None
) -> tuple[list[MeasurementRecord], bool]:
    granted = await access.space(patient_id, Action.READ, SpacePart.PROFILE)
    query = select(*MEASUREMENT_COLUMNS).where(Measurement.patient_id == patient_id)
    if kind is not None:
        query = query.where(Measurement.kind == kind)
    if before is not None:
        query = query.where(Measurement.id < before)
    async with access.database.read() as connection:
        rows = [
            MeasurementRecord(*row)
            for row in await connection.execute(query.order_by(Measurement.id.desc()).limit(limit + 1))
        ]
    access.read(granted, "Measurements", patient_id)
    return rows[:limit], len(rows) > limit


def checked_entry(
    label: str, details: str | None, occurred_on: date | None
) -> tuple[str, str | None, date | None]:
    """An entry's words and date as stored; BAD_USER_INPUT naming the field."""
    label = clean_text(label, field="label", min_length=1, max_length=300, what="The label")
    details = clean_text(details, field="details", max_length=2000, what="The details") if details else None
    if occurred_on is not None and occurred_on > utcnow().date():
        raise BadUserInput("This date is in the future.", field="occurredOn")
    return label, details, occurred_on


def checked_measurement(kind: str, value: float, unit: str, measured_at: datetime | None) -> datetime:
    """When the measurement was taken; BAD_USER_INPUT for an unknown kind, a unit
    that is not UCUM for it, an implausible value or a time in the future."""
    units = MEASUREMENTS.get(kind)
    if units is None:
        raise BadUserInput(f"Unknown measurement {kind!r}.", field="kind")
    bounds = units.get(unit)
    if bounds is None:
        raise BadUserInput(f"{kind} is measured in {', '.join(units)} (UCUM).", field="unit")
    if not math.isfinite(value) or not bounds[0] <= value <= bounds[1]:
        raise BadUserInput(f"{value} {unit} is not a plausible {kind.lower()}.", field="value")
    when = measured_at or utcnow()
    if when.tzinfo is None:
        raise BadUserInput("Give the time with its zone (ISO 8601).", field="measuredAt")
    if when > utcnow():
        raise BadUserInput("This measurement is in the future.", field="measuredAt")
    return when


async def insert_entry(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    *,
    kind: str,
    label: str,
    details: str | None,
    occurred_on: date | None,
    entered_by: tuple[str, str],
) -> EntryRecord:
    """Insert a checked entry in the caller's transaction (written or imported)."""
    row = await connection.execute(
        insert(ProfileEntry)
        .values(
            patient_id=patient_id,
            kind=kind,
            label=label,
            details=details,
            occurred_on=occurred_on,
            entered_by_kind=entered_by[0],
            entered_by_name=entered_by[1],
            created_at=utcnow(),
        )
        .returning(*ENTRY_COLUMNS)
    )
    await inputs_changed(connection, patient_id)
    return EntryRecord(*row.one())


async def insert_measurement(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    *,
    kind: str,
    value: float,
    unit: str,
    measured_at: datetime,
    entered_by: tuple[str, str],
) -> MeasurementRecord:
    """Insert a checked measurement in the caller's transaction (written or imported)."""
    row = await connection.execute(
        insert(Measurement)
        .values(
            patient_id=patient_id,
            kind=kind,
            value=value,
            unit=unit,
            measured_at=measured_at,
            entered_by_kind=entered_by[0],
            entered_by_name=entered_by[1],
            created_at=utcnow(),
        )
        .returning(*MEASUREMENT_COLUMNS)
    )
    record = MeasurementRecord(*row.one())
    await inputs_changed(connection, patient_id)
    await outbox.emit(
        connection,
        outbox.EventKind.MEASUREMENT_ADDED,
        patient_id,
        {"measurementId": str(record.id), "kind": kind},
    )
    return record


async def add_entry(
    access: Access,
    patient_id: uuid.UUID,
    *,
    kind: EntryKind,
    label: str,
    details: str | None,
    occurred_on: date | None,
) -> EntryRecord:
    granted = await access.space(patient_id, Action.CREATE, SpacePart.PROFILE)
    label, details, occurred_on = checked_entry(label, details, occurred_on)
    async with access.database.session() as session:
        connection = await session.connection()
        record = await insert_entry(
            connection,
            patient_id,
            kind=kind.value,
            label=label,
            details=details,
            occurred_on=occurred_on,
            entered_by=_entered_by(access),
        )
        await access.write_entry(connection, granted, AccessAction.CREATE, "ProfileEntry", record.id)
    return record


async def add_measurement(
    access: Access, patient_id: uuid.UUID, *, kind: str, value: float, unit: str, measured_at: datetime | None
) -> MeasurementRecord:
    granted = await access.space(patient_id, Action.CREATE, SpacePart.PROFILE)
    when = checked_measurement(kind, value, unit, measured_at)
    async with access.database.session() as session:
        connection = await session.connection()
        record = await insert_measurement(
            connection,
            patient_id,
            kind=kind,
            value=value,
            unit=unit,
            measured_at=when,
            entered_by=_entered_by(access),
        )
        await access.write_entry(connection, granted, AccessAction.CREATE, "Measurement", record.id)
    return record


async def profile_to_export(
    access: Access, patient_id: uuid.UUID
) -> tuple[list[EntryRecord], list[MeasurementRecord]]:
    """The whole profile for an export (unjournaled here: the export's entry stands for it)."""
    await access.space(patient_id, Action.EXPORT, SpacePart.PROFILE)
    async with access.database.read() as connection:
        found_entries = [
            EntryRecord(*row)
            for row in await connection.execute(
                select(*ENTRY_COLUMNS)
                .where(ProfileEntry.patient_id == patient_id)
                .order_by(ProfileEntry.created_at, ProfileEntry.id)
            )
        ]
        found_measurements = [
            MeasurementRecord(*row)
            for row in await connection.execute(
                select(*MEASUREMENT_COLUMNS)
                .where(Measurement.patient_id == patient_id)
                .order_by(Measurement.measured_at, Measurement.id)
            )
        ]
    return found_entries, found_measurements


async def present_ids(
    connection: AsyncConnection, patient_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are entries or measurements of the space (for the import)."""
    present: set[uuid.UUID] = set()
    for table in (ProfileEntry, Measurement):
        present.update(
            await connection.scalars(
                select(table.id).where(table.patient_id == patient_id, table.id.in_(ids))
            )
        )
    return present


async def people_to_notify(connection: AsyncConnection, patient_id: uuid.UUID) -> set[tuple[str, str | None]]:
    """(label, details) of the people to notify already in the profile."""
    rows = await connection.execute(
        select(ProfileEntry.label, ProfileEntry.details).where(
            ProfileEntry.patient_id == patient_id, ProfileEntry.kind == EntryKind.PERSON_TO_NOTIFY.value
        )
    )
    return {(label, details) for label, details in rows}


@dataclass(frozen=True, slots=True)
class AgendaInputs:
    conditions: list[tuple[str, date | None]]  # (label, since)
    vaccinations: list[tuple[str, str, date]]  # (id, label, day)
    measurements: list[tuple[str, str, date]]  # (id, kind, Paris day)


async def agenda_inputs(connection: AsyncConnection, patient_id: uuid.UUID) -> AgendaInputs:
    """What the prevention rules read from the profile."""
    entries = await connection.execute(
        select(
            ProfileEntry.id,
            ProfileEntry.kind,
            ProfileEntry.label,
            ProfileEntry.occurred_on,
            ProfileEntry.created_at,
        )
        .where(
            ProfileEntry.patient_id == patient_id,
            ProfileEntry.kind.in_([EntryKind.CONDITION.value, EntryKind.VACCINATION.value]),
        )
        .order_by(ProfileEntry.id)
    )
    conditions, vaccinations = [], []
    for row in entries:
        if row.kind == EntryKind.CONDITION.value:
            conditions.append((row.label, row.occurred_on))
        else:
            vaccinations.append(
                (str(row.id), row.label, row.occurred_on or row.created_at.astimezone(PARIS).date())
            )
    measured = await connection.execute(
        select(Measurement.id, Measurement.kind, Measurement.measured_at)
        .where(Measurement.patient_id == patient_id)
        .order_by(Measurement.id)
    )
    return AgendaInputs(
        conditions,
        vaccinations,
        [(str(row.id), row.kind, row.measured_at.astimezone(PARIS).date()) for row in measured],
    )
