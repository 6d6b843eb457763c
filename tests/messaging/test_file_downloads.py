"""A message's file through its signed link: the thread's rules asked again at
fetch time, every download by anyone but the patient journaled."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from api.access.models import CareRole
from tests import factories
from tests.journal.helpers import entries
from tests.messaging.uploads import START, post_files

CONTENT = b"Ordonnance: metformine 1000 mg matin et soir"


async def _principal(database, person, scope: str, **claims):
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    account = await find_account(database, str(person.account_id))
    jti = f"j-{uuid.uuid4().hex[:8]}"
    return principal_for(account, {"client_id": "test", "jti": jti, "scope": scope, **claims})


def _link(app, principal, file_id: uuid.UUID) -> str:
    url = urlsplit(app.state.content_links.message_file_url(principal, file_id))
    return f"{url.path}?{url.query}"


def _downloads(journal, file_id: uuid.UUID) -> list:
    return [e for e in journal if e.action == "DOWNLOAD" and e.object_id == str(file_id)]


@pytest.fixture
async def shared(client, database, token_of):
    """A space whose GP sent a file; a pharmacist of its care team outside the thread."""
    from sqlalchemy import select

    from api.messaging.models import MessageFile

    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, pharmacist)
    given = {"patientId": patient.global_id, "subject": "Ordonnance", "body": "Ci-joint."}
    body = await post_files(client, await token_of(gp), START, given, [("o.txt", CONTENT, "text/plain")])
    assert body["data"]["startThread"]["userErrors"] == [], body
    async with database.read() as connection:
        file_id = await connection.scalar(
            select(MessageFile.id).where(MessageFile.patient_id == patient.person_id)
        )
    return patient, gp, pharmacist, file_id


async def test_whoever_sees_the_thread_downloads_and_others_do_not(client, app, database, shared) -> None:
    patient, gp, pharmacist, file_id = shared
    response = await client.get(_link(app, await _principal(database, gp, "messages:read"), file_id))
    assert (response.status_code, response.content) == (200, CONTENT)
    (entry,) = _downloads(await entries(database, patient.person_id), file_id)
    assert (entry.actor_kind, entry.object_type, entry.professional_id) == (
        "PROFESSIONAL",
        "MessageFile",
        gp.person_id,
    )

    # In the care team, not in the thread: as if the file did not exist.
    refused = await client.get(_link(app, await _principal(database, pharmacist, "messages:read"), file_id))
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # A professional of another space: FORBIDDEN, as for any space not theirs.
    elsewhere = await factories.make_professional(database)
    other_patient = await factories.make_patient(database)
    await factories.add_to_care_team(database, other_patient, elsewhere, CareRole.MEDECIN_TRAITANT)
    outsider = await client.get(_link(app, await _principal(database, elsewhere, "messages:read"), file_id))
    assert outsider.status_code == 403
    assert outsider.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Refusals read nothing, so the journal holds the one real download only.
    assert len(_downloads(await entries(database, patient.person_id), file_id)) == 1


async def test_a_token_without_messages_read_gets_no_bytes(client, app, database, shared) -> None:
    patient, gp, _, file_id = shared
    response = await client.get(_link(app, await _principal(database, gp, "messages:send"), file_id))
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert _downloads(await entries(database, patient.person_id), file_id) == []


async def test_caregivers_need_the_messages_part_and_are_journaled(client, app, database, shared) -> None:
    patient, _, _, file_id = shared
    agenda_only, with_messages = (
        await factories.make_patient(database),
        await factories.make_patient(database),
    )
    await factories.represent(database, patient, agenda_only, kind="CAREGIVER", parts="AGENDA")
    await factories.represent(database, patient, with_messages, kind="CAREGIVER", parts="MESSAGES")
    for caregiver, status in ((agenda_only, 403), (with_messages, 200)):
        principal = await _principal(database, caregiver, "messages:read", acting_for=str(patient.person_id))
        assert (await client.get(_link(app, principal, file_id))).status_code == status
    (entry,) = _downloads(await entries(database, patient.person_id), file_id)
    assert entry.actor_kind == "REPRESENTATIVE"


async def test_a_block_since_the_link_was_made_wins(client, app, database, shared) -> None:
    patient, gp, _, file_id = shared
    link = _link(app, await _principal(database, gp, "messages:read"), file_id)
    await factories.block(database, patient, gp)
    assert (await client.get(link)).status_code == 403


async def test_bad_links(client, app, database, shared) -> None:
    _, gp, _, file_id = shared
    principal = await _principal(database, gp, "messages:read")
    path, _, query = _link(app, principal, file_id).partition("?")
    assert (await client.get(path)).status_code == 401
    assert (await client.get(f"{path}?{query[:-3]}xyz")).status_code == 401
    unknown = uuid.UUID(int=7)
    assert (await client.get(path.replace(str(file_id), str(unknown)) + f"?{query}")).status_code == 401
    assert (await client.get(_link(app, principal, unknown))).status_code == 404
    assert (await client.get(f"/messages/files/not-a-uuid/content?{query}")).status_code == 404
    # A document's link does not open a message's file, even for the same id.
    document_link = urlsplit(app.state.content_links.url(principal, file_id))
    assert (await client.get(f"{path}?{document_link.query}")).status_code == 401
