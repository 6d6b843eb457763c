"""The demo's medical profiles, entered through the profile service by whom
they would be in life: Nadia's GP records her diabetes and the quarterly
HbA1c, Nadia her allergy and her own glycemia, the parent the toddler's
vaccinations, the cardiologist Jeanne's follow-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from api.access.service import Access
from api.db import Database
from api.identity.dev_tokens import find_account
from api.identity.principal import Principal
from api.identity.scopes import Scope
from api.identity.service import ACTING_FOR_CLAIM, principal_for
from api.profile import service
from api.profile.models import EntryKind, Measurement, ProfileEntry


@dataclass(frozen=True, slots=True)
class DemoEntry:
    patient: str
    by: str
    kind: EntryKind
    label: str
    details: str | None = None
    occurred_on: date | None = None


@dataclass(frozen=True, slots=True)
class DemoMeasurement:
    patient: str
    by: str
    kind: str
    value: float
    unit: str
    measured_at: datetime


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=UTC)


ENTRIES = [
    DemoEntry(
        "nadia",
        "gp",
        EntryKind.CONDITION,
        "Diabète de type 2",
        "Sans insuline : régime et metformine.",
        date(2019, 3, 1),
    ),
    DemoEntry("nadia", "gp", EntryKind.TREATMENT, "Metformine 1000 mg", "Un comprimé matin et soir."),
    DemoEntry("nadia", "nadia", EntryKind.ALLERGY, "Pénicilline", "Urticaire en 2008."),
    DemoEntry("nadia", "nadia", EntryKind.FAMILY_HISTORY, "Diabète de type 2 (mère)"),
    DemoEntry("nadia", "nadia", EntryKind.VACCINATION, "Grippe saisonnière", occurred_on=date(2025, 10, 20)),
    DemoEntry("nadia", "nadia", EntryKind.PERSON_TO_NOTIFY, "Karim Benali", "Frère, 06 12 34 56 78"),
    DemoEntry(
        "senior", "cardiologist", EntryKind.CONDITION, "Fibrillation atriale", occurred_on=date(2021, 6, 14)
    ),
    DemoEntry("senior", "cardiologist", EntryKind.TREATMENT, "Apixaban 5 mg", "Matin et soir."),
    DemoEntry(
        "senior",
        "senior",
        EntryKind.ADVANCE_DIRECTIVE,
        "Directives anticipées",
        "Pas d'acharnement thérapeutique ; original chez ma fille Isabelle.",
        date(2024, 2, 3),
    ),
    DemoEntry("senior", "senior", EntryKind.PERSON_TO_NOTIFY, "Isabelle Roussel", "Fille, proche aidante"),
    DemoEntry("toddler", "parent", EntryKind.VACCINATION, "DTCaP-Hib-HépB (hexavalent), 1re dose"),
    DemoEntry("toddler", "parent", EntryKind.VACCINATION, "Pneumocoque, 1re dose"),
]

MEASUREMENTS = [
    *(
        DemoMeasurement("nadia", "gp", "HBA1C", value, "%", _at(day))
        for day, value in [("2025-12-10", 7.6), ("2026-03-12", 7.3), ("2026-06-11", 7.1), ("2026-09-10", 7.1)]
    ),
    DemoMeasurement("nadia", "gp", "WEIGHT", 84.0, "kg", _at("2026-03-12")),
    DemoMeasurement("nadia", "gp", "WEIGHT", 82.5, "kg", _at("2026-09-10")),
    DemoMeasurement("nadia", "gp", "HEIGHT", 165.0, "cm", _at("2026-03-12")),
    DemoMeasurement("nadia", "gp", "SYSTOLIC_BLOOD_PRESSURE", 138.0, "mm[Hg]", _at("2026-09-10")),
    DemoMeasurement("nadia", "gp", "DIASTOLIC_BLOOD_PRESSURE", 84.0, "mm[Hg]", _at("2026-09-10")),
    DemoMeasurement("nadia", "nadia", "GLYCEMIA", 1.32, "g/L", _at("2026-09-09")),
]


async def enter_demo_profiles(database: Database) -> int:
    """Enter what is missing (entries matched by kind and label, measurements by
    kind and time); returns how many were added."""
    added = 0
    for entry in ENTRIES:
        principal, patient_id = await _author(database, entry.by, entry.patient)
        async with database.read() as connection:
            exists = await connection.scalar(
                select(ProfileEntry.id).where(
                    ProfileEntry.patient_id == patient_id,
                    ProfileEntry.kind == entry.kind.value,
                    ProfileEntry.label == entry.label,
                )
            )
        if exists is None:
            await service.add_entry(
                Access(principal, database),
                patient_id,
                kind=entry.kind,
                label=entry.label,
                details=entry.details,
                occurred_on=entry.occurred_on,
            )
            added += 1
    for measurement in MEASUREMENTS:
        principal, patient_id = await _author(database, measurement.by, measurement.patient)
        async with database.read() as connection:
            exists = await connection.scalar(
                select(Measurement.id).where(
                    Measurement.patient_id == patient_id,
                    Measurement.kind == measurement.kind,
                    Measurement.measured_at >= measurement.measured_at - timedelta(seconds=1),
                    Measurement.measured_at <= measurement.measured_at + timedelta(seconds=1),
                )
            )
        if exists is None:
            await service.add_measurement(
                Access(principal, database),
                patient_id,
                kind=measurement.kind,
                value=measurement.value,
                unit=measurement.unit,
                measured_at=measurement.measured_at,
            )
            added += 1
    return added


async def _author(database: Database, handle: str, patient_handle: str) -> tuple[Principal, uuid.UUID]:
    """The persona entering, acting for the patient's space when a representative."""
    account, patient = await find_account(database, handle), await find_account(database, patient_handle)
    if account is None or patient is None or patient.patient_id is None:
        raise RuntimeError("load the personas before the demo profiles")
    claims = {"client_id": "espace-demo", "jti": "demo", "scope": Scope.PROFILE_WRITE.value}
    if account.patient_id is not None and account.patient_id != patient.patient_id:
        claims[ACTING_FOR_CLAIM] = str(patient.patient_id)
    return principal_for(account, claims), patient.patient_id
