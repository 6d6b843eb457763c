"""A year of the health insurance's statements for the demo's patients, written
as the insurer's CSV feed and imported through `espace import-reimbursements`'s
own path (so the demo exercises the real import, idempotently).

Amounts follow 2026 tariffs: GP consultation (G) 30 €, cardiology (CSC) 47 €;
Nadia's type 2 diabetes is an ALD, so her diabetes care is reimbursed at
100 %, less the participation forfaitaire (2 € per consultation or lab visit)
and the franchise médicale (1 € per box); the dietitian is not reimbursed by
the insurance (out of the nomenclature), partly by her complementary insurer.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from api.db import Database
from api.directory import queries
from api.identity.dev_tokens import find_account
from api.reimbursements.feed import CSV_COLUMNS
from api.reimbursements.importer import FeedReport, import_statements
from api.timezones import paris_today


@dataclass(frozen=True, slots=True)
class Act:
    code: str
    label: str
    category: str
    by: str | None  # a persona handle
    charged: int  # cents
    base: int
    rate: int
    participation_forfaitaire: int = 0
    franchise: int = 0
    complementary: int | None = None  # default: what the insurance left of the base
    confidential: bool = False

    def amounts(self) -> dict[str, int]:
        insured = self.base * self.rate // 100
        reimbursed = max(insured - self.participation_forfaitaire - self.franchise, 0)
        complementary = self.base - insured if self.complementary is None else self.complementary
        return {
            "charged": self.charged,
            "base": self.base,
            "reimbursed": reimbursed,
            "complementary": complementary,
            "participation_forfaitaire": self.participation_forfaitaire,
            "franchise": self.franchise,
            "out_of_pocket": self.charged - reimbursed - complementary,
        }


GP_ALD = Act("G", "Consultation médecin généraliste (ALD)", "CONSULTATION", "gp", 3000, 3000, 100, 200)
HBA1C = Act("1577", "Hémoglobine glyquée (HbA1c)", "BIOLOGY", "lab", 810, 810, 100, 200)
METFORMIN = Act(
    "3400930000000", "Metformine 1000 mg, 3 boîtes", "PHARMACY", "pharmacist", 1350, 1350, 100, 0, 300
)
DIETITIAN = Act(
    "HN", "Consultation diététique (hors nomenclature)", "PARAMEDICAL", "dietitian", 4500, 0, 0, 0, 0, 2000
)
EYE = Act("BGQP002", "Rétinographie (dépistage rétinopathie)", "IMAGING", None, 4500, 4500, 100, 200)
CARDIO = Act("CSC", "Consultation cardiologie", "CONSULTATION", "cardiologist", 4700, 4700, 70, 200)
ECG = Act("DEQP003", "Électrocardiogramme", "CONSULTATION", "cardiologist", 1426, 1426, 70)
NURSE = Act("AMI1", "Soin infirmier", "PARAMEDICAL", "nurse", 315, 315, 60)
PAEDIATRIC = Act("G", "Consultation médecin généraliste (enfant)", "CONSULTATION", "gp", 3000, 3000, 70)
VACCINE = Act("3400936000000", "Vaccin hexavalent", "PHARMACY", "pharmacist", 3900, 3900, 100)
CONFIDENTIAL = Act("G", "Consultation", "CONSULTATION", None, 3000, 3000, 100, confidential=True)

# (patient, act, days before today)
STATEMENTS: list[tuple[str, Act, int]] = [
    *(("nadia", GP_ALD, days) for days in (350, 260, 170, 80)),
    *(("nadia", HBA1C, days) for days in (355, 265, 175, 85)),
    *(("nadia", METFORMIN, days) for days in range(340, 0, -30)),
    *(("nadia", DIETITIAN, days) for days in (300, 200, 100)),
    ("nadia", EYE, 150),
    *(("senior", CARDIO, days) for days in (320, 140)),
    *(("senior", ECG, days) for days in (320, 140)),
    *(("senior", NURSE, days) for days in range(90, 0, -15)),
    *(("toddler", PAEDIATRIC, days) for days in (300, 240, 120)),
    ("toddler", VACCINE, 240),
    ("teen", PAEDIATRIC, 200),
    ("teen", CONFIDENTIAL, 60),
    ("parent", PAEDIATRIC, 30),
]


async def import_demo_statements(database: Database, work_dir: Path) -> FeedReport:
    """Write the demo's statement feed and import it; lines already there are skipped."""
    today = paris_today()
    people: dict[str, tuple[str, str | None, str | None]] = {}  # handle -> (INS, RPPS, name)
    for handle in {patient for patient, _, _ in STATEMENTS} | {act.by for _, act, _ in STATEMENTS if act.by}:
        people[handle] = await _identity(database, handle)
    rows = []
    for number, (patient, act, days) in enumerate(STATEMENTS, start=1):
        by = people[act.by] if act.by else ("", None, None)
        amounts = {name: f"{value / 100:.2f}".replace(".", ",") for name, value in act.amounts().items()}
        care = today - timedelta(days=days)
        rows.append(
            [
                f"DEMO-{patient}-{number:03d}",
                people[patient][0],
                care.isoformat(),
                act.code,
                act.label,
                act.category,
                by[1] or "",
                by[2] or "",
                amounts["charged"],
                amounts["base"],
                str(act.rate),
                amounts["reimbursed"],
                amounts["complementary"],
                amounts["participation_forfaitaire"],
                amounts["franchise"],
                amounts["out_of_pocket"],
                _paid(care, today).isoformat(),
                "1" if act.confidential else "0",
            ]
        )
    path = await asyncio.to_thread(_write_feed, work_dir, rows)
    try:
        return await import_statements(database, path)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def _write_feed(work_dir: Path, rows: list[list[str]]) -> Path:
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", suffix=".csv", dir=work_dir, delete=False
    ) as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    return Path(handle.name)


def _paid(care: date, today: date) -> date:
    return min(care + timedelta(days=5), today)


async def _identity(database: Database, handle: str) -> tuple[str, str | None, str | None]:
    """(INS, None, None) of a patient persona; ("", RPPS, name) of a professional."""
    account = await find_account(database, handle)
    if account is None:
        raise RuntimeError(f"load the personas before the demo statements (no {handle})")
    async with database.read() as connection:
        if account.patient_id is not None:
            patient = (await queries.patients_by_ids(connection, [account.patient_id]))[account.patient_id]
            return patient.ins, None, None
        assert account.professional_id is not None  # noqa: S101 - personas are patients or professionals
        found = (await queries.professionals_by_ids(connection, [account.professional_id]))[
            account.professional_id
        ]
    return "", found.rpps, found.display_name
