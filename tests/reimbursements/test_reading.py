"""Reading the reimbursement history: pages, filters, yearly sums against
hand-computed totals, confidential care withheld from representatives, every
read by someone else journaled, a constant number of statements."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.access.models import CareRole
from api.directory.models import Professional
from api.reimbursements.importer import import_statements
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries
from tests.reimbursements.helpers import line, write_csv

LIST = """query($id: ID!, $first: Int, $after: String, $filter: ReimbursementFilter) {
  patient(id: $id) { reimbursements(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id careDate actCode category chargedCents outOfPocketCents
      professional { displayName } } } } } }"""
SUMMARY = """query($id: ID!, $year: Int!) { patient(id: $id) { reimbursementSummary(year: $year) {
  year chargedCents reimbursedCents complementaryCents outOfPocketCents totals { lines baseCents }
  byCategory { category lines chargedCents reimbursedCents outOfPocketCents }
  deductibles { kind deductedCents capCents remainingCents capReached } } } }"""


@pytest.fixture
async def history(database, tmp_path):
    """A year of care, with amounts small enough to add up by hand."""
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    async with database.read() as connection:
        rpps = await connection.scalar(select(Professional.rpps).where(Professional.id == doctor.person_id))
    rows = [
        line(patient.ins, care_date="2026-01-10", rpps=rpps),  # 30 charged, 19 + 9, pf 2, oop 2
        line(patient.ins, care_date="2026-02-10", rpps=rpps),
        line(
            patient.ins,
            care_date="2026-02-20",
            act_code="3400930000000",
            category="PHARMACY",
            charged="13,50",
            base="13,50",
            rate="100",
            reimbursed="10,50",
            complementary="0",
            participation_forfaitaire="0",
            franchise="3,00",
            out_of_pocket="3,00",
        ),
        line(patient.ins, care_date="2026-04-01", confidential="1"),
        line(patient.ins, care_date="2025-12-30"),  # another year
    ]
    report = await import_statements(database, write_csv(tmp_path / "feed.csv", rows))
    assert not report.refused, report.problems
    return patient, doctor


async def test_pages_newest_care_first_with_cursors(gql, token_of, history) -> None:
    patient, _ = history
    token = await token_of(patient)
    seen, after = [], None
    while True:
        body = await gql(LIST, {"id": patient.global_id, "first": 2, "after": after}, token=token)
        page = body["data"]["patient"]["reimbursements"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["careDate"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["2026-04-01", "2026-02-20", "2026-02-10", "2026-01-10", "2025-12-30"]


async def test_filters_and_bad_inputs(gql, token_of, history) -> None:
    patient, doctor = history
    token = await token_of(patient)

    async def listing(**variables):
        return await gql(LIST, {"id": patient.global_id, "first": 10, **variables}, token=token)

    body = await listing(filter={"categories": ["PHARMACY"]})
    assert [e["node"]["actCode"] for e in body["data"]["patient"]["reimbursements"]["edges"]] == [
        "3400930000000"
    ]
    body = await listing(filter={"careDateFrom": "2026-02-01", "careDateTo": "2026-02-28"})
    assert body["data"]["patient"]["reimbursements"]["totalCount"] == 2
    body = await listing(filter={"professionalId": doctor.global_id})
    edges = body["data"]["patient"]["reimbursements"]["edges"]
    assert len(edges) == 2
    assert edges[0]["node"]["professional"]["displayName"] == doctor.name
    for variables in (
        {"filter": {"careDateFrom": "2026-03-01", "careDateTo": "2026-02-01"}},
        {"filter": {"professionalId": patient.global_id}},
        {"after": "garbage"},
        {"first": 0},
    ):
        assert error_codes(await listing(**variables)) == ["BAD_USER_INPUT"], variables


async def test_the_summary_matches_the_hand_computed_totals(gql, token_of, history) -> None:
    patient, _ = history
    body = await gql(SUMMARY, {"id": patient.global_id, "year": 2026}, token=await token_of(patient))
    summary = body["data"]["patient"]["reimbursementSummary"]
    # 3 consultations (30 €: 19 + 9, 2 left) and a pharmacy line (13.50 €: 10.50, 3 left).
    assert summary["chargedCents"] == 3 * 3000 + 1350
    assert summary["reimbursedCents"] == 3 * 1900 + 1050
    assert summary["complementaryCents"] == 3 * 900
    assert summary["outOfPocketCents"] == 3 * 200 + 300
    assert summary["totals"] == {"lines": 4, "baseCents": 3 * 3000 + 1350}
    assert summary["byCategory"] == [
        {
            "category": "CONSULTATION",
            "lines": 3,
            "chargedCents": 9000,
            "reimbursedCents": 5700,
            "outOfPocketCents": 600,
        },
        {
            "category": "PHARMACY",
            "lines": 1,
            "chargedCents": 1350,
            "reimbursedCents": 1050,
            "outOfPocketCents": 300,
        },
    ]
    assert summary["deductibles"] == [
        {
            "kind": "PARTICIPATION_FORFAITAIRE",
            "deductedCents": 600,
            "capCents": 5000,
            "remainingCents": 4400,
            "capReached": False,
        },
        {
            "kind": "FRANCHISE",
            "deductedCents": 300,
            "capCents": 5000,
            "remainingCents": 4700,
            "capReached": False,
        },
    ]
    empty = await gql(SUMMARY, {"id": patient.global_id, "year": 2010}, token=await token_of(patient))
    assert empty["data"]["patient"]["reimbursementSummary"]["byCategory"] == []
    bad = await gql(SUMMARY, {"id": patient.global_id, "year": 12}, token=await token_of(patient))
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_confidential_care_is_withheld_from_representatives(gql, database, token_of, history) -> None:
    patient, _ = history
    parent = await factories.make_patient(database)
    await factories.represent(database, patient, parent)
    token = await token_of(parent, acting_for=patient.person_id)
    body = await gql(LIST, {"id": patient.global_id, "first": 10}, token=token)
    listing = body["data"]["patient"]["reimbursements"]
    assert listing["totalCount"] == 4
    assert "2026-04-01" not in [e["node"]["careDate"] for e in listing["edges"]]
    body = await gql(SUMMARY, {"id": patient.global_id, "year": 2026}, token=token)
    assert body["data"]["patient"]["reimbursementSummary"]["totals"]["lines"] == 3


async def test_who_may_read_and_the_journal(gql, database, token_of, history) -> None:
    patient, doctor = history
    outsider = await factories.make_professional(database)
    body = await gql(LIST, {"id": patient.global_id, "first": 10}, token=await token_of(outsider))
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(
        LIST, {"id": patient.global_id, "first": 10}, token=await token_of(patient, scopes={"documents:read"})
    )
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(LIST, {"id": patient.global_id, "first": 1}, token=await token_of(doctor))
    (edge,) = body["data"]["patient"]["reimbursements"]["edges"]
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Reimbursement { actCode } } }",
        {"id": edge["node"]["id"]},
        token=await token_of(outsider),
    )
    assert error_codes(node) == ["FORBIDDEN"]
    await gql(SUMMARY, {"id": patient.global_id, "year": 2026}, token=await token_of(doctor))
    logged = {(e.action, e.object_type, e.actor_kind) for e in await entries(database, patient.person_id)}
    assert ("READ", "Reimbursement", "PROFESSIONAL") in logged
    assert ("READ", "ReimbursementSummary", "PROFESSIONAL") in logged


async def test_statements_do_not_grow_with_the_page(
    gql, token_of, count_statements, history, database, tmp_path
) -> None:
    patient, _ = history
    more = [line(patient.ins, care_date=f"2025-0{month}-01") for month in range(1, 9)]
    await import_statements(database, write_csv(tmp_path / "more.csv", more))
    token = await token_of(patient)
    counts = []
    for first in (3, 10):  # both pages name the doctor: one directory read each
        count_statements.statements.clear()
        body = await gql(LIST, {"id": patient.global_id, "first": first}, token=token)
        assert len(body["data"]["patient"]["reimbursements"]["edges"]) == first
        counts.append(len(count_statements.statements))
    assert counts[0] == counts[1]
