"""The insurer's corrections and hostile statement files."""

from __future__ import annotations

from sqlalchemy import select

from api.reimbursements.importer import import_statements
from api.reimbursements.models import Reimbursement
from tests import factories
from tests.reimbursements.helpers import line, write_csv


async def test_a_corrected_line_is_updated_and_another_spaces_line_refused(database, tmp_path) -> None:
    teen, other = await factories.make_patient(database), await factories.make_patient(database)
    original = line(teen.ins)
    await import_statements(database, write_csv(tmp_path / "1.csv", [original]))
    corrected = original | {"confidential": "1"}  # the insurer marks it confidential since
    report = await import_statements(database, write_csv(tmp_path / "2.csv", [corrected]))
    assert (report.imported, report.corrected, report.already) == (0, 1, 0)
    async with database.read() as connection:
        hidden = await connection.scalar(
            select(Reimbursement.hidden_from_representatives).where(
                Reimbursement.line_id == original["line_id"]
            )
        )
    assert hidden is True
    stolen = original | {"ins": other.ins}
    report = await import_statements(database, write_csv(tmp_path / "3.csv", [stolen]))
    assert report.refused
    assert "imported before for another space" in report.problems[0][1]


async def test_hostile_files_are_reported_not_crashed_on(database, tmp_path) -> None:
    patient = await factories.make_patient(database)
    latin = tmp_path / "latin.csv"
    write_csv(latin, [line(patient.ins, act_label="Séance")])
    latin.write_bytes(latin.read_text(encoding="utf-8").encode("latin-1"))
    report = await import_statements(database, latin)
    assert report.problems == [("line 2", "not UTF-8 text (the feed is UTF-8)")]
    for fields, message in (
        ({"rate": "²"}, "percentage"),
        ({"act_label": "Consult\x00ation"}, "control characters"),
        ({"professional": "Dr \u202eX"}, "control characters"),
        ({"care_date": "2026-01-01garbage"}, "not a date"),
    ):
        report = await import_statements(
            database, write_csv(tmp_path / "bad.csv", [line(patient.ins, **fields)])
        )
        assert report.refused, fields
        assert message in report.problems[0][1], report.problems
    huge = tmp_path / "huge.csv"
    write_csv(huge, [line(patient.ins, act_label="x" * 200_000)])
    assert (await import_statements(database, huge)).refused
