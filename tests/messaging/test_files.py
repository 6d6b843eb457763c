"""New files sent with a message: kept with it for the thread's readers alone,
or deposited into the dossier in the message's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.access.models import CareRole
from api.messaging.models import MessageFile
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_search import one_page_pdf
from tests.journal.helpers import entries, events
from tests.messaging.uploads import PDF, SEND, START, path_of, post_files, rows

MESSAGES = """query($id: ID!) { node(id: $id) { ... on Thread { messages(first: 10) { edges { node {
  body attachments { title visibility { hiddenFromPatient } } files { title fileName contentType sizeBytes
  contentUrl } } } } } } }"""
DOCUMENTS = """query($id: ID!, $q: String) { patient(id: $id) { documents(first: 10, search: $q) {
  totalCount edges { node { id title } } } } }"""
NOTE = b"Compte rendu: glycemie a jeun 1,26 g/L"


@pytest.fixture
async def care(database):
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, pharmacist)
    return patient, gp, pharmacist


def _opening(patient) -> dict:
    return {"patientId": patient.global_id, "subject": "Vos résultats", "body": "Voir le fichier joint."}


async def _documents(gql, token, patient, words=None) -> dict:
    body = await gql(DOCUMENTS, {"id": patient.global_id, "q": words}, token=token)
    return body["data"]["patient"]["documents"]


async def test_a_file_kept_with_the_message_is_for_the_threads_readers_alone(
    client, gql, database, token_of, care, contents
) -> None:
    patient, gp, pharmacist = care
    body = await post_files(
        client, await token_of(gp), START, _opening(patient), [("../bilan juin.txt", NOTE, "text/plain")]
    )
    payload = body["data"]["startThread"]
    assert payload["userErrors"] == [], body
    thread_id = payload["thread"]["id"]
    (sent,) = payload["thread"]["messages"]["edges"]
    assert sent["node"]["attachments"] == []
    (file,) = sent["node"]["files"]
    # The title defaults to the file name, cleaned as the dossier cleans names.
    assert (file["title"], file["fileName"]) == ("bilan juin.txt", "bilan juin.txt")
    assert (file["contentType"], file["sizeBytes"]) == ("text/plain", len(NOTE))
    assert (await rows(database, patient))["documents"] == 0  # not in the dossier

    patient_token = await token_of(patient)
    read = await gql(MESSAGES, {"id": thread_id}, token=patient_token)
    (message,) = [edge["node"] for edge in read["data"]["node"]["messages"]["edges"]]
    (file,) = message["files"]
    response = await client.get(path_of(file["contentUrl"]))
    assert response.status_code == 200
    assert response.content == NOTE
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''bilan%20juin.txt"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "DOWNLOAD" not in {e.action for e in await entries(database, patient.person_id)}  # her own read

    gp_read = await gql(MESSAGES, {"id": thread_id}, token=await token_of(gp))
    gp_file = gp_read["data"]["node"]["messages"]["edges"][0]["node"]["files"][0]
    assert (await client.get(path_of(gp_file["contentUrl"]))).content == NOTE
    logged = {
        (e.action, e.object_type, e.professional_id) for e in await entries(database, patient.person_id)
    }
    assert ("CREATE", "MessageFile", gp.person_id) in logged
    assert ("READ", "MessageFile", gp.person_id) in logged
    assert ("DOWNLOAD", "MessageFile", gp.person_id) in logged

    # The pharmacist, in the care team but not in the thread, reaches none of it.
    pharmacist_token = await token_of(pharmacist)
    assert error_codes(await gql(MESSAGES, {"id": thread_id}, token=pharmacist_token)) == ["NOT_FOUND"]
    assert (await _documents(gql, pharmacist_token, patient))["totalCount"] == 0

    # At rest, the store holds the file sealed with the space's key, never in clear.
    async with database.read() as connection:
        (blob_key,) = await connection.scalars(
            select(MessageFile.blob_key).where(MessageFile.patient_id == patient.person_id)
        )
    sealed = contents._store._path(blob_key).read_bytes()
    assert NOTE not in sealed
    assert b"glycemie" not in sealed


async def test_the_patient_replies_with_a_file_of_her_own(client, gql, database, token_of, care) -> None:
    patient, gp, _ = care
    started = await gql(START, {"input": _opening(patient)}, token=await token_of(gp))
    thread_id = started["data"]["startThread"]["thread"]["id"]
    reply = await post_files(
        client,
        await token_of(patient),
        SEND,
        {"threadId": thread_id, "body": "Voici ma photo de l'ordonnance."},
        [("IMG_2041.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png")],
        [{"title": "  Ordonnance du Dr Martin "}],
    )
    payload = reply["data"]["sendMessage"]
    assert payload["userErrors"] == [], reply
    (file,) = payload["message"]["files"]
    assert (file["title"], file["fileName"], file["contentType"]) == (
        "Ordonnance du Dr Martin",
        "IMG_2041.png",
        "image/png",
    )
    read = await gql(MESSAGES, {"id": thread_id}, token=await token_of(gp))
    assert [m["node"]["files"][0]["title"] for m in read["data"]["node"]["messages"]["edges"][1:]] == [
        "Ordonnance du Dr Martin"
    ]


async def test_a_file_deposited_in_the_same_operation_is_a_document_under_the_dossiers_rules(
    client, gql, database, token_of, care
) -> None:
    patient, gp, _ = care
    pdf = one_page_pdf("Glycemie a jeun 1,26 g/L")
    body = await post_files(
        client,
        await token_of(gp),
        START,
        _opening(patient),
        [("glycemie.pdf", pdf, "application/pdf"), ("annonce.pdf", PDF, "application/pdf")],
        [
            {
                "title": "Glycémie à jeun",
                "depositToDossier": {"typeCode": "11502-2", "serviceDate": "2026-11-20"},
            },
            {
                "title": "Résultat à annoncer",
                "depositToDossier": {"typeCode": "11526-1", "hiddenFromPatient": True},
            },
        ],
    )
    payload = body["data"]["startThread"]
    assert payload["userErrors"] == [], body
    message = payload["thread"]["messages"]["edges"][0]["node"]
    assert [a["title"] for a in message["attachments"]] == ["Glycémie à jeun", "Résultat à annoncer"]
    assert message["files"] == []  # they are documents now, attached like any other
    assert await rows(database, patient) == {"threads": 1, "messages": 1, "files": 0, "documents": 2}

    patient_token = await token_of(patient)
    read = await gql(MESSAGES, {"id": payload["thread"]["id"]}, token=patient_token)
    seen = read["data"]["node"]["messages"]["edges"][0]["node"]["attachments"]
    # Hidden from the patient in the dossier, hidden from her in the message too.
    assert seen == [{"title": "Glycémie à jeun", "visibility": {"hiddenFromPatient": False}}]
    assert [
        e["node"]["title"] for e in (await _documents(gql, patient_token, patient, "glycemie"))["edges"]
    ] == ["Glycémie à jeun"]  # its words were extracted from the PDF for search
    logged = {(e.action, e.object_type) for e in await entries(database, patient.person_id)}
    assert {("CREATE", "Document"), ("CREATE", "Message"), ("CREATE", "Thread")} <= logged
    deposited = await events(database, patient.person_id, "dossier.document_deposited")
    assert len(deposited) == 1  # the hidden one is announced in person, not by a notice
    assert len(await events(database, patient.person_id, "messaging.message_received")) == 1


async def test_a_failure_inside_the_transaction_leaves_neither_message_nor_document(
    client, database, token_of, care, monkeypatch
) -> None:
    from api.messaging import files

    patient, gp, _ = care

    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    # After the document's rows are written, in the same transaction.
    monkeypatch.setattr(files, "write_files", broken)
    body = await post_files(
        client,
        await token_of(gp),
        START,
        _opening(patient),
        [("note.pdf", PDF, "application/pdf")],
        [{"depositToDossier": {"typeCode": "11488-4"}}],
    )
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert await rows(database, patient) == {"threads": 0, "messages": 0, "files": 0, "documents": 0}
    assert await events(database, patient.person_id, "dossier.document_deposited") == []


THREADS = """query($id: ID!, $first: Int) { patient(id: $id) { threads(first: 5) { edges { node {
  messages(first: $first) { edges { node { body files { title contentUrl } attachments { title } } } }
  } } } } }"""


@pytest.mark.parametrize("reader", ["patient", "gp"])
async def test_statements_do_not_grow_with_messages_and_files(
    client, settings, database, token_of, count_statements, care, reader
) -> None:
    import httpx

    from api.app import create_app
    from tests.conftest import GraphQLClient

    # patient > threads > messages > files > title: within the default depth (a
    # connection's edges and node are not levels of their own).
    deeper = create_app(settings, database)
    transport = httpx.ASGITransport(app=deeper)
    patient, gp, _ = care
    gp_token = await token_of(gp)
    two = [("a.txt", NOTE, "text/plain"), ("b.txt", NOTE, "text/plain")]
    for _ in range(2):
        started = await post_files(client, gp_token, START, _opening(patient), two)
        thread_id = started["data"]["startThread"]["thread"]["id"]
        for number in range(4):
            sent = await post_files(
                client, gp_token, SEND, {"threadId": thread_id, "body": f"Message {number}"}, two
            )
            assert sent["data"]["sendMessage"]["userErrors"] == [], sent
    token = await token_of(patient if reader == "patient" else gp)
    counts = []
    for first in (1, 5):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as deep_client:
            count_statements.statements.clear()
            body = await GraphQLClient(deep_client, None)(
                THREADS, {"id": patient.global_id, "first": first}, token=token
            )
        assert "errors" not in body, body
        threads = body["data"]["patient"]["threads"]["edges"]
        assert [len(t["node"]["messages"]["edges"]) for t in threads] == [first, first]
        assert all(len(m["node"]["files"]) == 2 for t in threads for m in t["node"]["messages"]["edges"])
        counts.append(count_statements.count)
    assert counts[0] == counts[1]


async def test_the_store_gc_keeps_the_blobs_of_message_files(
    client, database, contents, token_of, care
) -> None:
    from datetime import timedelta

    from api.dossier.maintenance import collect_garbage

    patient, gp, _ = care
    body = await post_files(
        client, await token_of(gp), START, _opening(patient), [("n.txt", NOTE, "text/plain")]
    )
    assert body["data"]["startThread"]["userErrors"] == []
    orphan = await contents.seal(patient.person_id, b"a message refused after its file was stored")
    await collect_garbage(database, contents, grace=timedelta(seconds=-1))
    async with database.read() as connection:
        (blob_key,) = await connection.scalars(
            select(MessageFile.blob_key).where(MessageFile.patient_id == patient.person_id)
        )
    assert contents._store._path(blob_key).exists()
    assert not contents._store._path(orphan.blob_key).exists()
