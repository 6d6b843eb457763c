"""An HbA1c found in a lab report marks the diabetes follow-up done, even when
the report's title says nothing of HbA1c (the core only reads titles)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from api.access.models import CareRole
from api.access.service import Access
from api.dossier.models import Document
from api.hooks import run_hooks
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from api.profile import service as profile
from api.profile.models import EntryKind
from api.timezones import paris_today
from tests import factories
from tests.dossier.test_deposit import upload
from tests.plugins.glycemia.samples import cda, deposit, run_hook

AGENDA = """query($id: ID!) { patient(id: $id) { agenda(first: 100) { edges { node {
  ruleCode status doneOn } } } } }"""


async def _diabetic(database):
    """A 54-year-old woman with type 2 diabetes, like Nadia, and her laboratory."""
    patient = await factories.make_patient(database, birth_date=date(1972, 11, 8), sex="F")
    gp, lab = await factories.make_professional(database), await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, lab)
    account = await find_account(database, str(gp.account_id))
    access = Access(
        principal_for(account, {"client_id": "t", "jti": "t", "scope": "profile:write"}), database
    )
    await profile.add_entry(
        access,
        patient.person_id,
        kind=EntryKind.CONDITION,
        label="Diabète de type 2",
        details=None,
        occurred_on=date(2019, 3, 1),
    )
    return patient, lab


async def _hba1c_items(gql, token_of, patient) -> list[tuple[str, str | None]]:
    body = await gql(AGENDA, {"id": patient.global_id}, token=await token_of(patient))
    assert "errors" not in body, body
    return sorted(
        (edge["node"]["status"], edge["node"]["doneOn"])
        for edge in body["data"]["patient"]["agenda"]["edges"]
        if edge["node"]["ruleCode"] == "diabetes-hba1c"
    )


async def test_a_cda_lab_report_marks_the_hba1c_follow_up_done(
    client, database, contents, gql, token_of
) -> None:
    patient, lab = await _diabetic(database)
    assert await _hba1c_items(gql, token_of, patient) == [("DUE", None)]
    measured = paris_today() - timedelta(days=6)
    variables = {"patientId": patient.global_id, "title": "Bilan biologique", "typeCode": "11502-2"}
    content = cda(("7.2", "%", f"{measured:%Y%m%d}"))
    response = await upload(client, await token_of(lab), variables, content, name="bilan.xml")
    assert response.json()["data"]["depositDocument"]["userErrors"] == []
    # The title says "Bilan biologique": until the hooks ran, nothing tells the agenda.
    assert await _hba1c_items(gql, token_of, patient) == [("DUE", None)]
    await run_hooks(database, contents)
    items = await _hba1c_items(gql, token_of, patient)
    assert ("DONE", measured.isoformat()) in items, items


async def test_a_report_kept_from_the_representatives_is_no_evidence(
    database, contents, gql, token_of
) -> None:
    patient, lab = await _diabetic(database)
    record = await deposit(database, contents, patient, lab, cda(("7.2", "%", f"{paris_today():%Y%m%d}")))
    async with database.session() as session:
        await session.execute(
            update(Document).where(Document.id == record.id).values(hidden_from_representatives=True)
        )
    await run_hook(database, contents, record)
    assert await _hba1c_items(gql, token_of, patient) == [("DUE", None)]
