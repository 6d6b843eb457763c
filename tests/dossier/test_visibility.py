"""Visibility flags: who may move which, and what each reader sees after."""

from __future__ import annotations

import pytest

from api.access.models import CareRole
from api.graphql.ids import encode_id
from tests import factories
from tests.conftest import error_codes

SET = """mutation($input: SetDocumentVisibilityInput!) { setDocumentVisibility(input: $input) {
  document { visibility { maskedFromProfessionals hiddenFromPatient hiddenFromRepresentatives
    maskedEvenInEmergencies } } userErrors { field message } } }"""
COUNT = (
    "query($id: ID!) { patient(id: $id) { documents(first: 20) { totalCount edges { node { title } } } } }"
)


@pytest.fixture
async def story(database, contents):
    """Nadia's story: her GP, a dietitian and a pharmacist; the dietitian's plan."""
    nadia = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    dietitian = await factories.make_professional(database, profession="dietitian")
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, nadia, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, nadia, dietitian)
    await factories.add_to_care_team(database, nadia, pharmacist)
    plan = await factories.deposit(
        database, contents, nadia, by=dietitian, title="Plan alimentaire", type_code="11502-2"
    )
    return nadia, gp, dietitian, pharmacist, plan


async def _titles(gql, token, patient) -> tuple[int, set[str]]:
    listing = (await gql(COUNT, {"id": patient.global_id}, token=token))["data"]["patient"]["documents"]
    return listing["totalCount"], {edge["node"]["title"] for edge in listing["edges"]}


async def test_masking_hides_a_document_from_the_pharmacist_only(gql, token_of, story) -> None:
    nadia, gp, dietitian, pharmacist, plan = story
    assert await _titles(gql, await token_of(pharmacist), nadia) == (1, {"Plan alimentaire"})
    body = await gql(
        SET,
        {"input": {"documentId": encode_id("Document", plan.id), "maskedFromProfessionals": True}},
        token=await token_of(nadia),
    )
    assert body["data"]["setDocumentVisibility"]["document"]["visibility"]["maskedFromProfessionals"] is True
    assert await _titles(gql, await token_of(pharmacist), nadia) == (0, set())  # absent, not counted
    one = "query($id: ID!) { node(id: $id) { id } }"
    assert error_codes(
        await gql(one, {"id": encode_id("Document", plan.id)}, token=await token_of(pharmacist))
    ) == ["NOT_FOUND"]
    for reader in (dietitian, gp):  # its author, and the médecin traitant
        assert await _titles(gql, await token_of(reader), nadia) == (1, {"Plan alimentaire"})


@pytest.mark.parametrize(
    ("who", "change", "expected"),
    [
        ("pharmacist", {"maskedFromProfessionals": True}, "FORBIDDEN"),
        (
            "dietitian",
            {"maskedFromProfessionals": True},
            "FORBIDDEN",
        ),  # the patient's choice, not the author's
        ("nadia", {"hiddenFromPatient": False}, "FORBIDDEN"),  # only its author lifts it
        ("gp", {"hiddenFromRepresentatives": True}, "FORBIDDEN"),  # not the author
        ("dietitian", {"hiddenFromRepresentatives": True}, None),
        ("nadia", {"maskedEvenInEmergencies": True}, None),
    ],
)
async def test_who_moves_which_flag(gql, token_of, story, who, change, expected) -> None:
    nadia, gp, dietitian, pharmacist, plan = story
    person = {"nadia": nadia, "gp": gp, "dietitian": dietitian, "pharmacist": pharmacist}[who]
    body = await gql(
        SET, {"input": {"documentId": encode_id("Document", plan.id), **change}}, token=await token_of(person)
    )
    if expected is None:
        assert body["data"]["setDocumentVisibility"]["userErrors"] == []
    else:
        assert error_codes(body) == [expected]


async def test_bad_visibility_input(gql, token_of, story) -> None:
    nadia, *_ = story
    token = await token_of(nadia)
    nothing = await gql(SET, {"input": {"documentId": encode_id("Document", story[4].id)}}, token=token)
    assert nothing["data"]["setDocumentVisibility"]["userErrors"][0]["message"] == "Nothing to change."
    bad_id = await gql(SET, {"input": {"documentId": "nope", "maskedFromProfessionals": True}}, token=token)
    assert bad_id["data"]["setDocumentVisibility"]["userErrors"][0]["field"] == ["id"]
    import uuid

    missing = await gql(
        SET,
        {"input": {"documentId": encode_id("Document", uuid.uuid4()), "maskedFromProfessionals": True}},
        token=token,
    )
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_the_demo_documents_load_and_the_teen_keeps_hers_from_her_parent(
    gql, database, contents
) -> None:
    from api.demo.dossier import deposit_demo_documents

    await deposit_demo_documents(database, contents)
    assert await deposit_demo_documents(database, contents) == 0  # idempotent
    body = await gql("{ viewer { patients { id displayName } } }", as_="parent")
    teen = next(p for p in body["data"]["viewer"]["patients"] if p["displayName"] == "Léa Lefèvre")
    own = await gql(COUNT, {"id": teen["id"]}, as_="teen")
    assert "Consultation confidentielle" in {
        e["node"]["title"] for e in own["data"]["patient"]["documents"]["edges"]
    }
    seen_by_parent = await gql(COUNT, {"id": teen["id"]}, as_="parent")
    titles = {e["node"]["title"] for e in seen_by_parent["data"]["patient"]["documents"]["edges"]}
    assert "Consultation confidentielle" not in titles
    nadia = (await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"]
    pharmacist = await gql(COUNT, {"id": nadia}, as_="pharmacist")
    seen = {e["node"]["title"] for e in pharmacist["data"]["patient"]["documents"]["edges"]}
    # The pharmacist reads prescriptions and lab results only (the profession matrix).
    assert seen == {
        "Hémoglobine glyquée (HbA1c) - trimestriel",
        "Hémoglobine glyquée (HbA1c) - résultat structuré",
        "Ordonnance - metformine 1000 mg",
    }
