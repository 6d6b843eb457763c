"""Contents through signed links: the policy is asked again at fetch time."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from api.access.models import CareRole
from api.dossier import links
from api.graphql.ids import encode_id
from tests import factories
from tests.journal.helpers import entries

URL = "query($id: ID!) { node(id: $id) { ... on Document { contentUrl } } }"
CONTENT = b"Hemoglobine glyquee : 7,1 %"


@pytest.fixture
async def setting(database, contents):
    patient = await factories.make_patient(database)
    doctor, physician = (
        await factories.make_professional(database),
        await factories.make_professional(database),
    )
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, physician)
    record = await factories.deposit(database, contents, patient, title="HbA1c", content=CONTENT)
    return patient, doctor, physician, record


async def _link(gql, token: str, record) -> str:
    body = await gql(URL, {"id": encode_id("Document", record.id)}, token=token)
    url = body["data"]["node"]["contentUrl"]
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_a_link_serves_the_content_and_the_download_is_journaled(
    client, gql, database, token_of, setting
) -> None:
    patient, doctor, _, record = setting
    response = await client.get(await _link(gql, await token_of(doctor), record))
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["etag"] == f'"{record.sha256}"'
    assert response.headers["cache-control"] == "private, no-store"
    assert "attachment" in response.headers["content-disposition"]
    logged = {(e.action, e.object_id) for e in await entries(database, patient.person_id)}
    assert ("DOWNLOAD", str(record.id)) in logged
    own = await client.get(await _link(gql, await token_of(patient), record))
    assert own.status_code == 200


async def test_a_masking_since_the_link_was_made_wins(client, gql, database, token_of, setting) -> None:
    patient, doctor, physician, record = setting
    link = await _link(gql, await token_of(physician), record)
    await gql(
        """mutation($id: ID!) {
          setDocumentVisibility(input: {documentId: $id, maskedFromProfessionals: true}) {
            userErrors { message } } }""",
        {"id": encode_id("Document", record.id)},
        token=await token_of(patient),
    )
    assert (await client.get(link)).status_code == 404
    assert (
        await client.get(await _link(gql, await token_of(doctor), record))
    ).status_code == 200  # médecin traitant


async def test_a_block_since_the_link_was_made_wins(client, gql, database, token_of, setting) -> None:
    patient, _, physician, record = setting
    link = await _link(gql, await token_of(physician), record)
    await factories.block(database, patient, physician)
    assert (await client.get(link)).status_code == 403


async def test_bad_links(client, gql, database, token_of, setting, monkeypatch) -> None:
    _, doctor, _, record = setting
    link = await _link(gql, await token_of(doctor), record)
    path, _, query = link.partition("?")
    assert (await client.get(path)).status_code == 401
    assert (await client.get(f"{path}?{query[:-3]}xyz")).status_code == 401
    elsewhere = path.replace(str(record.id), "00000000-0000-7000-8000-000000000000")
    assert (await client.get(f"{elsewhere}?{query}")).status_code == 401
    assert (await client.get(f"/documents/not-a-uuid/content?{query}")).status_code == 404
    monkeypatch.setattr(links, "LINK_SECONDS", -60)
    expired = await _link(gql, await token_of(doctor), record)
    response = await client.get(expired)
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]


async def test_a_revoked_token_revokes_its_links(client, gql, database, token_of, tokens, setting) -> None:
    from sqlalchemy import insert

    from api.db import utcnow
    from api.identity.models import RevokedToken

    _, doctor, _, record = setting
    token = await token_of(doctor)
    link = await _link(gql, token, record)
    async with database.session() as session:
        await session.execute(
            insert(RevokedToken).values(jti=tokens.verify(token)["jti"], expires_at=utcnow())
        )
    assert (await client.get(link)).status_code == 401


async def test_a_link_for_a_token_without_documents_read_is_refused(client, app, database, setting) -> None:
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    patient, doctor, _, record = setting
    account = await find_account(database, str(doctor.account_id))
    profile_only = principal_for(account, {"client_id": "test", "jti": "no-docs", "scope": "profile:read"})
    url = urlsplit(app.state.content_links.url(profile_only, record.id))
    response = await client.get(f"{url.path}?{url.query}")
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert ("DOWNLOAD", str(record.id)) not in {
        (e.action, e.object_id) for e in await entries(database, patient.person_id)
    }
