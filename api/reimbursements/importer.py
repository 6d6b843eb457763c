"""`espace import-reimbursements`: the insurer's feed into the spaces, all of a
file or nothing of it.

A statement file is checked whole first: a malformed line, or a line naming
an INS that has no space here, refuses the file and every such line is
reported with its number; nothing is imported, so a yearly summary never
rests on half a statement (the insurer sends the corrected file again). A
valid file goes in in one transaction, a batch of lines at a time; a line
already imported (same statement line identifier) is skipped, so importing
the same file twice adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.agenda.staleness import inputs_changed
from api.db import Database, new_id, utcnow
from api.directory import queries as directory
from api.interop.service import PLATFORM_ACCOUNT
from api.journal import service as journal
from api.journal.records import AccessAction, JournalRecord
from api.reimbursements.feed import LineError, Parsed, StatementLine, read_csv, read_eob_bundle
from api.reimbursements.models import Reimbursement

BATCH = 500
MAX_REPORTED = 50  # the first problems of a broken file; the count says how many in all
IMPORT_CLIENT = "espace-import-reimbursements"


@dataclass
class FeedReport:
    path: Path
    lines: int = 0
    imported: int = 0
    corrected: int = 0
    already: int = 0
    spaces: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    problem_count: int = 0

    @property
    def refused(self) -> bool:
        return self.problem_count > 0


def _parsed(path: Path, progress: Callable[[int], None] | None) -> Iterator[Parsed]:
    if path.suffix.lower() == ".json":
        return read_eob_bundle(path)
    return read_csv(path, progress)


async def import_statements(
    database: Database, path: Path, *, progress: Callable[[int], None] | None = None
) -> FeedReport:
    report = FeedReport(path)
    checked = await _check(database, path, report, progress)
    if report.refused:
        return report
    await _write(database, path, checked, report)
    return report


def _problem(report: FeedReport, where: str, message: str) -> None:
    report.problem_count += 1
    if len(report.problems) < MAX_REPORTED:
        report.problems.append((where, message))


CONTENT = (
    "care_date",
    "act_code",
    "act_label",
    "category",
    "professional_name",
    "charged_cents",
    "base_cents",
    "rate_percent",
    "reimbursed_cents",
    "complementary_cents",
    "participation_forfaitaire_cents",
    "franchise_cents",
    "out_of_pocket_cents",
    "paid_on",
    "hidden_from_representatives",
)


def _content(values: Any) -> int:
    """A digest of what a line says (compared within one import only)."""
    return hash(tuple(getattr(values, name) for name in CONTENT))


@dataclass
class Checked:
    spaces: dict[str, uuid.UUID]
    rpps: set[str]
    # Lines imported before that the insurer has corrected since (e.g. made confidential).
    corrected: set[str]


async def _check(
    database: Database, path: Path, report: FeedReport, progress: Callable[[int], None] | None
) -> Checked:
    """First pass: every line checked, every INS resolved, every line already
    imported compared: the same line for another space is refused, a corrected
    one is updated, an identical one skipped."""
    lines: dict[str, tuple[str, str, int]] = {}  # line id -> (where, INS, content digest)
    rpps: set[str] = set()
    where_of_ins: dict[str, str] = {}
    for where, parsed in _parsed(path, progress):
        if isinstance(parsed, LineError):
            _problem(report, where, str(parsed))
            continue
        report.lines += 1
        if parsed.line_id in lines:
            _problem(report, where, f"line_id {parsed.line_id} appears twice in the file")
        lines[parsed.line_id] = (where, parsed.ins, _content(parsed))
        where_of_ins.setdefault(parsed.ins, where)
        if parsed.rpps:
            rpps.add(parsed.rpps)
    spaces: dict[str, uuid.UUID] = {}
    names = sorted(where_of_ins)
    corrected: set[str] = set()
    identifiers = sorted(lines)
    async with database.read() as connection:
        for start in range(0, len(names), BATCH):
            spaces |= await directory.patient_ids_by_ins(connection, names[start : start + BATCH])
        for start in range(0, len(identifiers), BATCH):
            known = await connection.execute(
                select(
                    Reimbursement.line_id,
                    Reimbursement.patient_id,
                    *(getattr(Reimbursement, c) for c in CONTENT),
                ).where(Reimbursement.line_id.in_(identifiers[start : start + BATCH]))
            )
            for row in known:
                where, ins, digest = lines[row.line_id]
                if spaces.get(ins) != row.patient_id:
                    _problem(report, where, f"line_id {row.line_id} was imported before for another space")
                elif _content(row) != digest:
                    corrected.add(row.line_id)
    for ins, where in where_of_ins.items():
        if ins not in spaces:
            _problem(report, where, f"no space has the INS {ins}")
    return Checked(spaces, rpps, corrected)


async def _write(database: Database, path: Path, checked: Checked, report: FeedReport) -> None:
    """Second pass, one transaction: new lines in batches, corrected ones updated,
    identical ones skipped."""
    professionals: dict[str, uuid.UUID] = {}
    numbers = sorted(checked.rpps)
    async with database.read() as connection:
        for start in range(0, len(numbers), BATCH):
            professionals |= await directory.professional_ids_by_rpps(
                connection, numbers[start : start + BATCH]
            )
    insert_ignoring = sqlite_insert if database.is_sqlite else pg_insert
    touched: set[uuid.UUID] = set()
    async with database.session() as session:
        connection = await session.connection()
        fresh: list[dict[str, object]] = []
        corrections: list[dict[str, object]] = []
        for _, line in _parsed(path, None):
            assert isinstance(line, StatementLine)  # noqa: S101 - checked by the first pass
            row = _row(line, checked.spaces[line.ins], professionals.get(line.rpps or ""))
            (corrections if line.line_id in checked.corrected else fresh).append(row)
            if len(fresh) == BATCH:
                touched |= await _insert(connection, insert_ignoring, fresh, report)
                fresh = []
            if len(corrections) == BATCH:
                touched |= await _correct(connection, corrections, report)
                corrections = []
        if fresh:
            touched |= await _insert(connection, insert_ignoring, fresh, report)
        if corrections:
            touched |= await _correct(connection, corrections, report)
        await inputs_changed(connection, touched)
        await journal.append(
            connection, [_journal_record(patient_id, path) for patient_id in sorted(touched)]
        )
    report.spaces = len(touched)


async def _correct(
    connection: AsyncConnection, rows: list[dict[str, object]], report: FeedReport
) -> set[uuid.UUID]:
    """The insurer's corrections of lines imported before (same line, same space)."""
    for row in rows:
        await connection.execute(
            update(Reimbursement)
            .where(Reimbursement.line_id == row["line_id"], Reimbursement.patient_id == row["patient_id"])
            .values({name: row[name] for name in (*CONTENT, "professional_id")})
        )
    report.corrected += len(rows)
    return {row["patient_id"] for row in rows}  # type: ignore[misc]


async def _insert(
    connection: AsyncConnection, insert_ignoring: Any, batch: list[dict[str, object]], report: FeedReport
) -> set[uuid.UUID]:
    # One statement compiled once, its rows sent as "insert many values" batches; a line
    # a concurrent import just wrote is skipped, never doubled.
    statement = (
        insert_ignoring(Reimbursement)
        .on_conflict_do_nothing(index_elements=["line_id"])
        .returning(Reimbursement.patient_id)
    )
    inserted = list((await connection.execute(statement, batch)).scalars())
    report.imported += len(inserted)
    report.already += len(batch) - len(inserted)
    return set(inserted)


def _row(line: StatementLine, patient_id: uuid.UUID, professional_id: uuid.UUID | None) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "id": new_id(),
        "line_id": line.line_id,
        "care_date": line.care_date,
        "act_code": line.act_code,
        "act_label": line.act_label,
        "category": line.category,
        "professional_id": professional_id,
        "professional_name": line.professional_name,
        "charged_cents": line.charged_cents,
        "base_cents": line.base_cents,
        "rate_percent": line.rate_percent,
        "reimbursed_cents": line.reimbursed_cents,
        "complementary_cents": line.complementary_cents,
        "participation_forfaitaire_cents": line.participation_forfaitaire_cents,
        "franchise_cents": line.franchise_cents,
        "out_of_pocket_cents": line.out_of_pocket_cents,
        "paid_on": line.paid_on,
        "hidden_from_representatives": line.hidden_from_representatives,
        "imported_at": utcnow(),
    }


def _journal_record(patient_id: uuid.UUID, path: Path) -> JournalRecord:
    return JournalRecord(
        patient_id=patient_id,
        at=utcnow(),
        actor_kind="OPERATOR",
        actor_account_id=PLATFORM_ACCOUNT,
        actor_name=f"Assurance maladie (statement {path.name[:100]})",
        client_id=IMPORT_CLIENT,
        action=AccessAction.IMPORT,
        object_type="Reimbursements",
        object_id=None,
    )
