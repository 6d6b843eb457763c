"""Every bad input to a message's files has its answer, and leaves nothing
behind: no message, no file, no document."""

from __future__ import annotations

import httpx
import pytest

from api.access.models import CareRole
from api.app import create_app
from api.graphql.ids import encode_id
from tests import factories
from tests.conftest import error_codes
from tests.messaging.uploads import PDF, SEND, START, post_files, rows

DEPOSIT = {"depositToDossier": {"typeCode": "11488-4"}}
EMPTY = {"threads": 0, "messages": 0, "files": 0, "documents": 0}


@pytest.fixture
async def care(database):
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    return patient, gp


@pytest.fixture
async def small_client(settings, database):
    """Files of at most 5,000 bytes, three attachments a message."""
    small = settings.model_copy(update={"upload_max_bytes": 5_000, "message_max_attachments": 3})
    transport = httpx.ASGITransport(app=create_app(small, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _opening(patient, **extra) -> dict:
    return {"patientId": patient.global_id, "subject": "Résultats", "body": "Voir le fichier.", **extra}


@pytest.mark.parametrize(
    ("file", "option", "field"),
    [
        (("vide.pdf", b"", "application/pdf"), {}, ["files", "0", "file"]),
        (("page.html", b"<html><body>hi</body></html>", "text/html"), {}, ["files", "0", "file"]),
        (("faux.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "application/pdf"), {}, ["files", "0", "file"]),
        (("bin.dat", b"\x00\x01\x02garbage", "application/octet-stream"), DEPOSIT, ["files", "0", "file"]),
        (("trop.pdf", PDF + b"x" * 5_000, "application/pdf"), {}, ["files", "0", "file"]),
        (("trop.pdf", PDF + b"x" * 5_000, "application/pdf"), DEPOSIT, ["files", "0", "file"]),
        (
            ("note.pdf", PDF, "application/pdf"),
            {"depositToDossier": {"typeCode": "99999-9"}},
            ["files", "0", "depositToDossier", "typeCode"],
        ),
        (("note.pdf", PDF, "application/pdf"), {"title": "   "}, ["files", "0", "title"]),
    ],
)
async def test_bad_files_are_user_errors_and_leave_nothing(
    small_client, database, token_of, care, file, option, field
) -> None:
    patient, gp = care
    body = await post_files(small_client, await token_of(gp), START, _opening(patient), [file], [option])
    payload = body["data"]["startThread"]
    assert payload["thread"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, "BAD_USER_INPUT")], body
    assert await rows(database, patient) == EMPTY


async def test_files_count_toward_the_attachments_limit(
    small_client, database, contents, token_of, care
) -> None:
    patient, gp = care
    report = await factories.deposit(database, contents, patient, by=gp, title="HbA1c")
    files = [(f"note{n}.pdf", PDF, "application/pdf") for n in range(3)]
    given = _opening(patient, attachmentIds=[encode_id("Document", report.id)])
    body = await post_files(small_client, await token_of(gp), START, given, files, [DEPOSIT, {}, {}])
    errors = body["data"]["startThread"]["userErrors"]
    assert [e["field"] for e in errors] == [["files"]]
    assert "documents and files together" in errors[0]["message"]
    assert await rows(database, patient) == {**EMPTY, "documents": 1}  # the report alone
    allowed = await post_files(small_client, await token_of(gp), START, given, files[:2], [DEPOSIT, {}])
    assert allowed["data"]["startThread"]["userErrors"] == []
    assert await rows(database, patient) == {"threads": 1, "messages": 1, "files": 1, "documents": 2}


async def test_the_patients_side_may_not_deposit_through_a_message(
    client, gql, database, token_of, care
) -> None:
    patient, gp = care
    thread_id = (await gql(START, {"input": _opening(patient)}, token=await token_of(gp)))["data"][
        "startThread"
    ]["thread"]["id"]
    before = await rows(database, patient)
    body = await post_files(
        client,
        await token_of(patient),
        SEND,
        {"threadId": thread_id, "body": "Mon bilan"},
        [("bilan.pdf", PDF, "application/pdf")],
        [DEPOSIT],
    )
    (error,) = body["data"]["sendMessage"]["userErrors"]
    assert (error["field"], error["code"]) == (["files", "0", "depositToDossier"], "BAD_USER_INPUT")
    assert "Only a professional" in error["message"]
    assert await rows(database, patient) == before


async def test_a_professional_whose_token_may_not_deposit_is_forbidden(
    client, database, token_of, care
) -> None:
    patient, gp = care
    token = await token_of(gp, scopes={"messages:send", "messages:read", "documents:read"})
    files = [("note.pdf", PDF, "application/pdf")]
    body = await post_files(client, token, START, _opening(patient), files, [DEPOSIT])
    assert error_codes(body) == ["FORBIDDEN"]
    assert await rows(database, patient) == EMPTY
    # Without the deposit, the same token sends the file.
    body = await post_files(client, token, START, _opening(patient), files)
    assert body["data"]["startThread"]["userErrors"] == []


async def test_a_refused_message_deposits_nothing(client, gql, database, token_of, care, settings) -> None:
    patient, gp = care
    token = await token_of(gp)
    files = [("note.pdf", PDF, "application/pdf")]
    too_long = _opening(patient, body="x" * (settings.message_max_chars + 1))
    body = await post_files(client, token, START, too_long, files, [DEPOSIT])
    assert body["data"]["startThread"]["userErrors"][0]["field"] == ["body"]
    assert await rows(database, patient) == EMPTY

    thread_id = (await gql(START, {"input": _opening(patient)}, token=token))["data"]["startThread"][
        "thread"
    ]["id"]
    await gql(
        "mutation($id: ID!) { closeThread(threadId: $id) { thread { closed } } }",
        {"id": thread_id},
        token=token,
    )
    body = await post_files(client, token, SEND, {"threadId": thread_id, "body": "Encore"}, files, [DEPOSIT])
    assert body["data"]["sendMessage"]["userErrors"][0]["field"] == ["threadId"]
    assert await rows(database, patient) == {**EMPTY, "threads": 1, "messages": 1}


async def test_over_the_rate_limit_nothing_is_deposited(
    client, gql, database, token_of, care, settings
) -> None:
    patient, gp = care
    token = await token_of(gp)
    for _ in range(settings.messages_per_minute):
        await gql(START, {"input": _opening(patient)}, token=token)
    before = await rows(database, patient)
    body = await post_files(
        client, token, START, _opening(patient), [("n.pdf", PDF, "application/pdf")], [DEPOSIT]
    )
    assert error_codes(body) == ["RATE_LIMITED"]
    assert await rows(database, patient) == before
    assert before["documents"] == 0
