"""Nadia's story, as the issue tells it, over HTTP on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from api.access.models import CareRole
from api.directory.models import Organization
from api.oauth.admin import register_software
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import upload
from tests.dossier.test_search import one_page_pdf
from tests.journal.helpers import entries

LIST = """query($id: ID!, $q: String) { patient(id: $id) { documents(first: 20, search: $q) {
  totalCount edges { node { id title } } } } }"""
ONE = "query($id: ID!) { node(id: $id) { ... on Document { title } } }"


async def _listing(gql, token, nadia, query=None) -> tuple[int, dict[str, str]]:
    body = await gql(LIST, {"id": nadia.global_id, "q": query}, token=token)
    docs = body["data"]["patient"]["documents"]
    return docs["totalCount"], {edge["node"]["title"]: edge["node"]["id"] for edge in docs["edges"]}


async def test_nadias_story(client, gql, database, token_of, settings) -> None:
    nadia = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    dietitian = await factories.make_professional(database, profession="dietitian")
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, nadia, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, nadia, dietitian)
    await factories.add_to_care_team(database, nadia, pharmacist)

    # The laboratory's feed deposits her HbA1c result by INS.
    async with database.read() as connection:
        lab = await connection.scalar(select(Organization.id).where(Organization.finess == "750036527"))
    client_id = f"lab-{nadia.handle[-6:]}"
    secret = await register_software(
        database, client_id=client_id, name="LIMS", organization_id=lab, scopes=["documents:write"]
    )
    feed = (
        await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    ).json()["access_token"]
    deposits = [
        (
            feed,
            {"patientIns": nadia.ins, "title": "HbA1c trimestrielle", "typeCode": "11502-2"},
            one_page_pdf("Hémoglobine glyquée 7,1 %"),
        ),
        (
            await token_of(gp),
            {"patientId": nadia.global_id, "title": "Compte rendu trimestriel", "typeCode": "11488-4"},
            "Diabète équilibré.".encode(),
        ),
        (
            await token_of(dietitian),
            {"patientId": nadia.global_id, "title": "Plan alimentaire", "typeCode": "11502-2"},
            "Féculents complets.".encode(),
        ),
    ]
    for token, variables, content in deposits:
        body = (await upload(client, token, variables, content)).json()
        assert body["data"]["depositDocument"]["userErrors"] == [], body

    nadia_token = await token_of(nadia)
    assert (await _listing(gql, nadia_token, nadia, "hemoglobine"))[1].keys() == {"HbA1c trimestrielle"}

    _, titles = await _listing(gql, nadia_token, nadia)
    plan = titles["Plan alimentaire"]
    masked = await gql(
        """mutation($id: ID!) {
          setDocumentVisibility(input: {documentId: $id, maskedFromProfessionals: true}) {
            userErrors { message } } }""",
        {"id": plan},
        token=nadia_token,
    )
    assert masked["data"]["setDocumentVisibility"]["userErrors"] == []

    count, seen = await _listing(gql, await token_of(pharmacist), nadia)
    assert (count, set(seen)) == (1, {"HbA1c trimestrielle"})  # absent from lists and counts
    assert error_codes(await gql(ONE, {"id": plan}, token=await token_of(pharmacist))) == ["NOT_FOUND"]
    for reader in (dietitian, gp):  # its author, and her médecin traitant
        assert "Plan alimentaire" in (await _listing(gql, await token_of(reader), nadia))[1]

    journal = [
        e
        for e in await entries(database, nadia.person_id)
        if e.object_type == "Document" and e.action == "READ"
    ]
    readers = {e.professional_id for e in journal}
    assert readers == {pharmacist.person_id, dietitian.person_id, gp.person_id}
    assert all(e.actor_kind == "PROFESSIONAL" for e in journal)

    blobs = [p.read_bytes() for p in Path(settings.resolved_content_dir).rglob("*") if p.is_file()]  # noqa: ASYNC240
    for plain in (b"Hemoglobine", "Diabète équilibré".encode(), "Féculents complets".encode()):
        assert not any(plain in blob for blob in blobs)
