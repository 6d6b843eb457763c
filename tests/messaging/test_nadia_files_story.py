"""Issue #7's story of a new file: Nadia's GP opens a thread with a new PDF
note on her lab results, deposited into her dossier in the same operation."""

from __future__ import annotations

from pathlib import Path

from api.access.models import CareRole
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_search import one_page_pdf
from tests.journal.helpers import entries
from tests.messaging.uploads import START, path_of, post_files

THREADS = """query($id: ID!) { patient(id: $id) { threads(first: 5) { totalCount edges { node { id subject
  } } } } }"""
MESSAGES = """query($id: ID!) { node(id: $id) { ... on Thread { messages(first: 5) { edges { node {
  body senderName attachments { id title contentUrl } files { title } } } } } } }"""
DOCUMENTS = """query($id: ID!, $q: String) { patient(id: $id) { documents(first: 10, search: $q) {
  totalCount edges { node { id title typeCode } } } } }"""
ONE = "query($id: ID!) { node(id: $id) { ... on Document { title } } }"


async def test_the_gp_sends_a_lab_note_that_lands_in_the_dossier_too(
    client, gql, database, token_of, settings
) -> None:
    nadia = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, nadia, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, nadia, pharmacist)

    note = one_page_pdf("HbA1c 7,1 pourcent: objectif atteint, on garde la metformine")
    body = await post_files(
        client,
        await token_of(gp),
        START,
        {
            "patientId": nadia.global_id,
            "subject": "Votre bilan de novembre",
            "body": "Bonne nouvelle, voir la note.",
        },
        [("note-bilan.pdf", note, "application/pdf")],
        # The GP's note on her results is a consultation note (REPORT) of the dossier.
        [{"title": "Note sur le bilan de novembre", "depositToDossier": {"typeCode": "11488-4"}}],
    )
    assert body["data"]["startThread"]["userErrors"] == [], body

    nadia_token = await token_of(nadia)
    threads = (await gql(THREADS, {"id": nadia.global_id}, token=nadia_token))["data"]["patient"]["threads"]
    (thread,) = [edge["node"] for edge in threads["edges"]]
    assert thread["subject"] == "Votre bilan de novembre"
    messages = (await gql(MESSAGES, {"id": thread["id"]}, token=nadia_token))["data"]["node"]["messages"]
    (message,) = [edge["node"] for edge in messages["edges"]]
    assert (message["body"], message["senderName"], message["files"]) == (
        "Bonne nouvelle, voir la note.",
        gp.name,
        [],  # deposited: a document now, among the attachments
    )
    (attachment,) = message["attachments"]
    assert attachment["title"] == "Note sur le bilan de novembre"
    downloaded = await client.get(path_of(attachment["contentUrl"]))
    assert (downloaded.status_code, downloaded.content) == (200, note)

    dossier = (await gql(DOCUMENTS, {"id": nadia.global_id, "q": "metformine"}, token=nadia_token))["data"]
    assert [(e["node"]["id"], e["node"]["typeCode"]) for e in dossier["patient"]["documents"]["edges"]] == [
        (attachment["id"], "11488-4")
    ]

    # The pharmacist, in her care team but not in the thread: nothing of the thread, and
    # the note is a report, which the profession matrix keeps from pharmacists.
    pharmacist_token = await token_of(pharmacist)
    theirs = await gql(THREADS, {"id": nadia.global_id}, token=pharmacist_token)
    assert theirs["data"]["patient"]["threads"] == {"totalCount": 0, "edges": []}
    assert error_codes(await gql(MESSAGES, {"id": thread["id"]}, token=pharmacist_token)) == ["NOT_FOUND"]
    assert error_codes(await gql(ONE, {"id": attachment["id"]}, token=pharmacist_token)) == ["NOT_FOUND"]
    listing = await gql(DOCUMENTS, {"id": nadia.global_id, "q": None}, token=pharmacist_token)
    assert listing["data"]["patient"]["documents"]["totalCount"] == 0

    logged = await entries(database, nadia.person_id)
    journal = {(e.action, e.object_type, e.professional_id) for e in logged}
    assert {("CREATE", "Thread", gp.person_id), ("CREATE", "Document", gp.person_id)} <= journal
    # The pharmacist read nothing of it; her refused attempts (the thread's messages, the note)
    # are journaled, without the ids of what is kept from her.
    assert not any(
        professional == pharmacist.person_id
        for action, kind, professional in journal
        if kind in {"Thread", "Message", "MessageFile", "Document"} and action != "DENIED"
    )
    refused = [e for e in logged if e.action == "DENIED" and e.professional_id == pharmacist.person_id]
    assert sorted((e.object_type, e.object_id) for e in refused) == [("Document", None), ("Thread", None)]
    blobs = [p.read_bytes() for p in Path(settings.resolved_content_dir).rglob("*") if p.is_file()]  # noqa: ASYNC240
    assert not any(b"metformine" in blob for blob in blobs)
