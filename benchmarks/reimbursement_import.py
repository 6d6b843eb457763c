"""How fast the insurer's feed goes in: lines per second for a statement file
of N lines over M spaces, first import and re-import (all skipped), on the
database ESPACE_DATABASE_URL names (default: a throwaway SQLite file).

    python -m benchmarks.reimbursement_import --lines 20000 --spaces 500
    ESPACE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \
        python -m benchmarks.reimbursement_import

Prints numbers; asserts nothing (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from api.db import Database, new_id
from api.directory.identifiers import ins_key
from api.directory.models import Patient
from api.migrations import upgrade
from api.reimbursements.feed import CSV_COLUMNS
from api.reimbursements.importer import import_statements
from api.settings import Settings
from api.timezones import paris_today


async def _spaces(database: Database, count: int) -> list[str]:
    inses = []
    async with database.session() as session:
        for number in range(count):
            nir = f"2{72 + number % 20:02d}1175{number % 1000:03d}{number // 1000:03d}"
            ins = f"{nir}{ins_key(nir):02d}"
            session.add(
                Patient(
                    id=new_id(),
                    ins=ins,
                    given_name="Bench",
                    family_name=str(number),
                    birth_date=date(1972, 11, 8),
                    sex="F",
                )
            )
            inses.append(ins)
    return inses


def _feed(path: Path, inses: list[str], lines: int) -> None:
    start = paris_today() - timedelta(days=365)
    rng = random.Random(7)  # noqa: S311 - reproducible data, not secrets
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for number in range(lines):
            care = start + timedelta(days=rng.randrange(360))
            writer.writerow(
                [
                    f"B-{number}",
                    rng.choice(inses),
                    care.isoformat(),
                    "G",
                    "Consultation",
                    "CONSULTATION",
                    "",
                    "Dr X",
                    "30,00",
                    "30,00",
                    "70",
                    "19,00",
                    "9,00",
                    "2,00",
                    "0",
                    "2,00",
                    care.isoformat(),
                    "0",
                ]
            )


async def main(lines: int, spaces: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(var_dir=Path(folder))
        database = Database(settings)
        try:
            await upgrade(database)
            inses = await _spaces(database, spaces)
            path = Path(folder) / "feed.csv"
            _feed(path, inses, lines)
            for label in ("first import", "re-import"):
                began = time.perf_counter()
                report = await import_statements(database, path)
                if report.refused:
                    raise SystemExit(f"the generated feed was refused: {report.problems[:3]}")
                seconds = time.perf_counter() - began
                print(
                    f"{database.engine.dialect.name} {label}: {lines} lines, {spaces} spaces, "
                    f"{report.imported} imported, {report.already} skipped in {seconds:.2f} s "
                    f"({lines / seconds:,.0f} lines/s)"
                )
        finally:
            await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--spaces", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.lines, arguments.spaces))
