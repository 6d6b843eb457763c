"""`espace import-reimbursements`: all of a file or nothing, idempotent on the
statement line, CSV and FHIR ExplanationOfBenefit."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from api.cli import main
from api.directory.identifiers import ins_key
from api.interop import codes
from api.reimbursements.feed import ADJUDICATION, CATEGORY_SYSTEM, ESPACE_ADJUDICATION
from api.reimbursements.importer import import_statements
from api.reimbursements.models import Reimbursement
from tests import factories
from tests.journal.helpers import entries
from tests.reimbursements.helpers import line, write_csv

NOBODY = "1800175001001" + f"{ins_key('1800175001001'):02d}"  # a valid INS no space here has


async def _count(database, patient) -> int:
    async with database.read() as connection:
        query = (
            select(func.count())
            .select_from(Reimbursement)
            .where(Reimbursement.patient_id == patient.person_id)
        )
        return int(await connection.scalar(query))


async def test_a_feed_is_imported_once(database, tmp_path) -> None:
    first, second = await factories.make_patient(database), await factories.make_patient(database)
    path = write_csv(
        tmp_path / "feed.csv", [line(first.ins), line(first.ins, act_code="C"), line(second.ins)]
    )
    report = await import_statements(database, path)
    assert not report.refused
    assert (report.lines, report.imported, report.already, report.spaces) == (3, 3, 0, 2)
    assert (await _count(database, first), await _count(database, second)) == (2, 1)
    again = await import_statements(database, path)
    assert (again.imported, again.already) == (0, 3)
    assert await _count(database, first) == 2
    logged = [(e.action, e.object_type, e.actor_kind) for e in await entries(database, first.person_id)]
    assert logged.count(("IMPORT", "Reimbursements", "OPERATOR")) == 1  # the second import touched nothing


async def test_one_bad_line_refuses_the_whole_file_and_names_every_problem(database, tmp_path) -> None:
    patient = await factories.make_patient(database)
    rows = [
        line(patient.ins),
        line(patient.ins, out_of_pocket="5,00"),  # line 3
        line("1" + patient.ins[1:13] + "00"),  # line 4: an INS with a wrong key
        line(NOBODY),  # line 5: a valid INS with no space here
    ]
    rows.append(line(patient.ins, line_id=rows[0]["line_id"]))  # line 6: a duplicate identifier
    report = await import_statements(database, write_csv(tmp_path / "feed.csv", rows))
    assert report.refused
    problems = dict(report.problems)
    assert "do not add up" in problems["line 3"]
    assert "not a valid INS" in problems["line 4"]
    assert f"no space has the INS {NOBODY}" in problems["line 5"]
    assert "appears twice" in problems["line 6"]
    assert await _count(database, patient) == 0


async def test_a_header_missing_a_column_is_refused(database, tmp_path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text("line_id;ins\nA;B\n", encoding="utf-8")
    report = await import_statements(database, path)
    assert report.refused
    assert "the header lacks care_date" in report.problems[0][1]


def _eob_bundle(patient, rpps: str) -> dict:
    def adjudication(system: str, code: str, **value) -> dict:
        return {"category": {"coding": [{"system": system, "code": code}]}, **value}

    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:5a0e0a0e-0000-4000-8000-000000000001",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": codes.INS_SYSTEM, "value": patient.ins}],
                },
            },
            {
                "fullUrl": "urn:uuid:5a0e0a0e-0000-4000-8000-000000000002",
                "resource": {
                    "resourceType": "Practitioner",
                    "identifier": [{"system": codes.IDNPS_SYSTEM, "value": f"8{rpps}"}],
                },
            },
            {
                "resource": {
                    "resourceType": "ExplanationOfBenefit",
                    "identifier": [{"value": f"EOB-{patient.ins}"}],
                    "status": "active",
                    "type": {"coding": [{"code": "professional"}]},
                    "use": "claim",
                    "patient": {"reference": "urn:uuid:5a0e0a0e-0000-4000-8000-000000000001"},
                    "created": "2026-03-20",
                    "insurer": {"display": "Assurance maladie"},
                    "provider": {"reference": "urn:uuid:5a0e0a0e-0000-4000-8000-000000000002"},
                    "outcome": "complete",
                    "insurance": [{"focal": True, "coverage": {"display": "Assurance maladie obligatoire"}}],
                    "payment": {"date": "2026-03-20"},
                    "item": [
                        {
                            "sequence": 1,
                            "servicedDate": "2026-03-12",
                            "category": {"coding": [{"system": CATEGORY_SYSTEM, "code": "CONSULTATION"}]},
                            "productOrService": {"coding": [{"code": "G", "display": "Consultation"}]},
                            "adjudication": [
                                adjudication(
                                    ADJUDICATION, "submitted", amount={"value": 30.0, "currency": "EUR"}
                                ),
                                adjudication(
                                    ADJUDICATION, "eligible", amount={"value": 30.0, "currency": "EUR"}
                                ),
                                adjudication(ADJUDICATION, "eligpercent", value=70),
                                adjudication(
                                    ADJUDICATION, "benefit", amount={"value": 19.0, "currency": "EUR"}
                                ),
                                adjudication(ESPACE_ADJUDICATION, "complementary", amount={"value": 9.0}),
                                adjudication(
                                    ESPACE_ADJUDICATION, "participation-forfaitaire", amount={"value": 2}
                                ),
                                adjudication(ESPACE_ADJUDICATION, "franchise", amount={"value": 0}),
                                adjudication(ESPACE_ADJUDICATION, "out-of-pocket", amount={"value": 2.0}),
                            ],
                        }
                    ],
                },
            },
        ],
    }


async def test_explanation_of_benefit_bundles_are_imported_too(database, tmp_path) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    from api.directory.models import Professional

    async with database.read() as connection:
        rpps = await connection.scalar(select(Professional.rpps).where(Professional.id == doctor.person_id))
    path = tmp_path / "eob.json"
    path.write_text(json.dumps(_eob_bundle(patient, rpps)), encoding="utf-8")
    report = await import_statements(database, path)
    assert not report.refused, report.problems
    assert report.imported == 1
    async with database.read() as connection:
        columns = (
            Reimbursement.charged_cents,
            Reimbursement.reimbursed_cents,
            Reimbursement.rate_percent,
            Reimbursement.professional_id,
        )
        row = (
            await connection.execute(select(*columns).where(Reimbursement.patient_id == patient.person_id))
        ).one()
    assert (row.charged_cents, row.reimbursed_cents, row.rate_percent, row.professional_id) == (
        3000,
        1900,
        70,
        doctor.person_id,
    )
    broken = _eob_bundle(patient, rpps)
    broken["entry"][2]["resource"]["item"][0]["adjudication"].pop()  # no out-of-pocket amount
    path.write_text(json.dumps(broken), encoding="utf-8")
    report = await import_statements(database, path)
    assert report.problems == [("entry 3", "out_of_pocket: missing amount")]
    path.write_text('{"resourceType": "Bundle"}', encoding="utf-8")
    ((where, problem),) = (await import_statements(database, path)).problems
    assert where == "file"
    assert problem.startswith("not a valid FHIR R4 Bundle: type: ")


def test_the_command_line(settings, database, tmp_path, monkeypatch, capsys) -> None:
    del database  # migrated, whatever ran before
    monkeypatch.setenv("ESPACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("ESPACE_DATABASE_URL", settings.database_url)
    assert main(["import-reimbursements", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    path = write_csv(tmp_path / "feed.csv", [line("272117511204542", rate="x")])
    assert main(["import-reimbursements", str(path)]) == 1
    out = capsys.readouterr().out
    assert "refused, nothing imported: 1 problem(s)" in out
    assert "line 2: rate" in out
