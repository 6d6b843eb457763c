"""Issue #6's story on the demo personas, on both databases: Nadia (54,
diabetic) sees her screenings, vaccinations and diabetes follow-up with the
right due dates; the laboratory's HbA1c marks that item done and schedules
the next; the family's infant sees the vaccination calendar."""

from __future__ import annotations

from datetime import date, timedelta

from api.agenda.durations import Duration
from api.demo.dossier import deposit_demo_documents
from api.demo.profile import enter_demo_profiles
from api.demo.reimbursements import import_demo_statements
from api.identity.dev_tokens import find_account
from api.timezones import paris_today
from tests.conftest import needs_plugin

AGENDA = """query($id: ID!) { patient(id: $id) { agenda(first: 100) { edges { node {
  kind title status dueDate doneOn nextDueDate ruleCode description } } } } }"""


def _in_flu_campaign(today: date) -> bool:
    """15 October to 31 January, and the 30 days that announce it."""
    start = date(today.year, 10, 15)
    return today >= start - timedelta(days=30) or today <= date(today.year, 1, 31)


@needs_plugin("vaccination")  # its calendar holds the vaccinations
async def test_nadias_agenda(database, contents, settings, gql, token_for) -> None:
    await deposit_demo_documents(database, contents)
    await enter_demo_profiles(database)
    report = await import_demo_statements(database, settings.var_dir)
    assert not report.refused, report.problems
    nadia = await find_account(database, "nadia")
    from api.graphql.ids import encode_id

    body = await gql(AGENDA, {"id": encode_id("Patient", nadia.patient_id)}, token=await token_for("nadia"))
    items = [edge["node"] for edge in body["data"]["patient"]["agenda"]["edges"]]
    by_rule: dict[str, list[dict]] = {}
    for item in items:
        by_rule.setdefault(item["ruleCode"], []).append(item)
    today = paris_today()

    (colorectal,) = by_rule["colorectal-screening"]
    assert (colorectal["status"], colorectal["dueDate"]) == ("DUE", "2022-11-08")  # since her 50th birthday
    assert "50" in colorectal["description"]
    (mammography,) = by_rule["breast-screening"]
    assert (mammography["status"], mammography["dueDate"]) == ("DUE", "2022-11-08")
    # The eye examination was reimbursed five months ago (the demo's retinography): done, next in a year.
    eye = next(item for item in by_rule["diabetes-eye-exam"] if item["status"] == "DONE")
    assert eye["doneOn"] == (today - timedelta(days=150)).isoformat()
    assert eye["nextDueDate"] == Duration(years=1).after(today - timedelta(days=150)).isoformat()
    assert {item["status"] for item in by_rule["diabetes-kidney-function"]} == {"DUE"}
    assert {item["status"] for item in by_rule["diabetes-foot-exam"]} == {"DUE"}
    # The laboratory's HbA1c, deposited by its feed today: the follow-up is done and the next is scheduled.
    hba1c = [item for item in by_rule["diabetes-hba1c"] if item["doneOn"] == today.isoformat()]
    assert hba1c, by_rule["diabetes-hba1c"]
    assert hba1c[0]["status"] == "DONE"
    assert hba1c[0]["nextDueDate"] == Duration(months=3).after(today).isoformat()
    assert ("influenza-vaccination" in by_rule) is _in_flu_campaign(today)
    assert "adult-dtp-boosters" in by_rule  # 45 years booster never recorded

    toddler = await find_account(database, "toddler")
    parent_token = await token_for("parent", acting_for=toddler.patient_id)
    body = await gql(AGENDA, {"id": encode_id("Patient", toddler.patient_id)}, token=parent_token)
    vaccines = [
        edge["node"]
        for edge in body["data"]["patient"]["agenda"]["edges"]
        if edge["node"]["kind"] == "VACCINATION"
    ]
    assert any(item["ruleCode"] == "infant-dtcap-hib-hepb" for item in vaccines)
    assert any(item["ruleCode"] == "infant-mmr" for item in vaccines)
