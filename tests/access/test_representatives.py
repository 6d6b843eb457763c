"""Representatives: parents open their children's spaces, a caregiver what was delegated."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from api.db import utcnow
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries


async def test_the_demo_parent_switches_between_three_spaces(gql) -> None:
    body = await gql("{ viewer { kind patients { displayName } } }", as_="parent")
    assert body["data"]["viewer"]["kind"] == "PATIENT"
    assert [p["displayName"] for p in body["data"]["viewer"]["patients"]] == [
        "Thomas Lefèvre",
        "Léa Lefèvre",
        "Hugo Lefèvre",
    ]


async def test_a_parent_reading_a_childs_space_is_journaled_as_representative(
    gql, database, token_of
) -> None:
    child = await factories.make_patient(database)
    parent = await factories.make_patient(database)
    await factories.represent(database, child, parent)
    body = await gql(
        "query($id: ID!) { patient(id: $id) { displayName careTeam { role } } }",
        {"id": child.global_id},
        token=await token_of(parent),
    )
    assert "errors" not in body
    logged = await entries(database, child.person_id)
    assert {(e.actor_kind, e.action, e.object_type, e.object_id) for e in logged} == {
        ("REPRESENTATIVE", "READ", "Patient", str(child.person_id)),
        ("REPRESENTATIVE", "READ", "CareTeam", str(child.person_id)),
    }


async def test_a_token_acting_for_a_child_opens_that_space_only(gql, database, token_of) -> None:
    child = await factories.make_patient(database)
    parent = await factories.make_patient(database)
    await factories.represent(database, child, parent)
    token = await token_of(parent, acting_for=child.person_id)
    body = await gql("{ viewer { kind patients { id } } patient { id } }", token=token)
    assert body["data"]["viewer"] == {"kind": "REPRESENTATIVE", "patients": [{"id": child.global_id}]}
    assert body["data"]["patient"] == {"id": child.global_id}
    own = await gql("query($id: ID!) { patient(id: $id) { id } }", {"id": parent.global_id}, token=token)
    assert error_codes(own) == ["FORBIDDEN"]


async def test_a_token_acting_for_a_space_it_does_not_represent_opens_nothing(
    gql, database, token_of
) -> None:
    stranger = await factories.make_patient(database)
    someone = await factories.make_patient(database)
    token = await token_of(someone, acting_for=stranger.person_id)
    body = await gql("{ patient { id } }", token=token)
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_caregiver_reads_only_the_delegated_parts(gql, database, token_of) -> None:
    senior = await factories.make_patient(database)
    caregiver = await factories.make_patient(database)
    await factories.represent(
        database,
        senior,
        caregiver,
        kind="CAREGIVER",
        parts="DOCUMENTS AGENDA",
        expires_at=utcnow() + timedelta(days=30),
    )
    token = await token_of(caregiver)
    viewer = await gql("{ viewer { patients { id } } }", token=token)
    assert {"id": senior.global_id} in viewer["data"]["viewer"]["patients"]
    assert "errors" not in await gql(
        "query($id: ID!) { patient(id: $id) { displayName } }", {"id": senior.global_id}, token=token
    )
    for field in ("careTeam { role }", "blockedProfessionals { id }", "accessLog(first: 3) { totalCount }"):
        body = await gql(
            f"query($id: ID!) {{ patient(id: $id) {{ {field} }} }}", {"id": senior.global_id}, token=token
        )
        assert error_codes(body) == ["FORBIDDEN"], field


async def test_an_expired_delegation_opens_nothing(gql, database, token_of) -> None:
    senior = await factories.make_patient(database)
    caregiver = await factories.make_patient(database)
    await factories.represent(
        database,
        senior,
        caregiver,
        kind="CAREGIVER",
        parts="DOCUMENTS",
        expires_at=utcnow() - timedelta(minutes=1),
    )
    token = await token_of(caregiver)
    viewer = await gql("{ viewer { patients { id } } }", token=token)
    assert viewer["data"]["viewer"]["patients"] == [{"id": caregiver.global_id}]
    body = await gql(
        "query($id: ID!) { patient(id: $id) { displayName } }", {"id": senior.global_id}, token=token
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_representative_may_block_for_a_child_and_it_is_journaled(gql, database, token_of) -> None:
    child = await factories.make_patient(database)
    parent = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.represent(database, child, parent)
    body = await gql(
        """mutation($p: ID!, $pro: ID!) { blockProfessional(patientId: $p, professionalId: $pro) {
          userErrors { message } } }""",
        {"p": child.global_id, "pro": professional.global_id},
        token=await token_of(parent),
    )
    assert body["data"]["blockProfessional"]["userErrors"] == []
    logged = await entries(database, child.person_id)
    assert ("REPRESENTATIVE", "CREATE", "Block") in {(e.actor_kind, e.action, e.object_type) for e in logged}


async def test_a_closed_space_is_not_offered_and_does_not_hide_the_others(gql, database, token_of) -> None:
    from sqlalchemy import update

    from api.directory.models import Patient

    parent = await factories.make_patient(database)
    open_child, closed_child = await factories.make_patient(database), await factories.make_patient(database)
    for child in (open_child, closed_child):
        await factories.represent(database, child, parent)
    async with database.session() as session:
        await session.execute(
            update(Patient).where(Patient.id == closed_child.person_id).values(status="CLOSED")
        )
    body = await gql("{ viewer { patients { id } } }", token=await token_of(parent))
    assert [p["id"] for p in body["data"]["viewer"]["patients"]] == [parent.global_id, open_child.global_id]
    closed = await gql(
        "query($id: ID!) { patient(id: $id) { id } }",
        {"id": closed_child.global_id},
        token=await token_of(parent),
    )
    assert error_codes(closed) == ["FORBIDDEN"]


CAREGIVERS = "query($id: ID!) { patient(id: $id) { representatives { id kind parts expiresAt } } }"
DESIGNATE = """mutation($input: DesignateCaregiverInput!) { designateCaregiver(input: $input) {
  patient { representatives { id kind parts expiresAt } } userErrors { field message } } }"""


async def test_a_patient_designates_renews_and_ends_a_caregiver(gql, database, token_of, settings) -> None:
    senior = await factories.make_patient(database)
    daughter = await factories.make_patient(database)
    token = await token_of(senior)
    body = await gql(
        DESIGNATE,
        {
            "input": {
                "patientId": senior.global_id,
                "caregiverIns": daughter.ins,
                "parts": ["DOCUMENTS", "AGENDA"],
            }
        },
        token=token,
    )
    payload = body["data"]["designateCaregiver"]
    assert payload["userErrors"] == []
    (entry,) = payload["patient"]["representatives"]
    assert (entry["id"], entry["kind"], entry["parts"]) == (
        daughter.global_id,
        "CAREGIVER",
        ["AGENDA", "DOCUMENTS"],
    )
    lasts = datetime.fromisoformat(entry["expiresAt"]) - utcnow()
    assert abs(lasts - settings.caregiver_delegation_duration) < timedelta(minutes=1)

    caregiver_token = await token_of(daughter)
    read = "query($id: ID!) { patient(id: $id) { displayName } }"
    assert "errors" not in await gql(read, {"id": senior.global_id}, token=caregiver_token)
    renew = """mutation($p: ID!, $c: ID!) {
      renewCaregiver(patientId: $p, caregiverId: $c) { userErrors { field } } }"""
    assert (await gql(renew, {"p": senior.global_id, "c": daughter.global_id}, token=token))["data"][
        "renewCaregiver"
    ]["userErrors"] == []
    end = """mutation($p: ID!, $c: ID!) {
      endCaregiver(patientId: $p, caregiverId: $c) { userErrors { field } } }"""
    assert (await gql(end, {"p": senior.global_id, "c": daughter.global_id}, token=token))["data"][
        "endCaregiver"
    ]["userErrors"] == []
    assert error_codes(await gql(read, {"id": senior.global_id}, token=caregiver_token)) == ["FORBIDDEN"]
    again = await gql(end, {"p": senior.global_id, "c": daughter.global_id}, token=token)
    assert again["data"]["endCaregiver"]["userErrors"] == [{"field": ["caregiverId"]}]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"caregiverIns": "123", "parts": ["AGENDA"]}, "caregiverIns"),
        ({"caregiverIns": "SELF", "parts": ["AGENDA"]}, "caregiverIns"),
        ({"caregiverIns": "OTHER", "parts": []}, "parts"),
        ({"caregiverIns": "OTHER", "parts": ["SETTINGS"]}, "parts"),
        ({"caregiverIns": "OTHER", "parts": ["CARE_TEAM"]}, "parts"),
    ],
)
async def test_designating_a_caregiver_refuses_bad_input(gql, database, token_of, variables, field) -> None:
    senior = await factories.make_patient(database)
    other = await factories.make_patient(database)
    ins = {"SELF": senior.ins, "OTHER": other.ins}.get(variables["caregiverIns"], variables["caregiverIns"])
    body = await gql(
        DESIGNATE,
        {"input": {"patientId": senior.global_id, "caregiverIns": ins, "parts": variables["parts"]}},
        token=await token_of(senior),
    )
    payload = body["data"]["designateCaregiver"]
    assert payload["patient"] is None
    assert payload["userErrors"][0]["field"] == [field]
    assert (await gql(CAREGIVERS, {"id": senior.global_id}, token=await token_of(senior)))["data"]["patient"][
        "representatives"
    ] == []


async def test_only_the_patient_side_manages_caregivers(gql, database, token_of) -> None:
    senior = await factories.make_patient(database)
    daughter = await factories.make_patient(database)
    await factories.represent(
        database,
        senior,
        daughter,
        kind="CAREGIVER",
        parts="DOCUMENTS",
        expires_at=utcnow() + timedelta(days=3),
    )
    body = await gql(
        DESIGNATE,
        {
            "input": {
                "patientId": senior.global_id,
                "caregiverIns": daughter.ins,
                "parts": ["DOCUMENTS", "JOURNAL"],
            }
        },
        token=await token_of(daughter),
    )
    assert error_codes(body) == ["FORBIDDEN"]  # a caregiver cannot widen their own delegation
    assert error_codes(await gql(CAREGIVERS, {"id": senior.global_id}, token=await token_of(daughter))) == [
        "FORBIDDEN"
    ]
