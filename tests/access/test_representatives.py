"""Representatives: parents open their children's spaces, a caregiver what was delegated."""

from __future__ import annotations

from datetime import timedelta

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
