"""New versions and deletions of documents."""

from __future__ import annotations

from pathlib import Path

from api.access.models import CareRole
from api.graphql.ids import encode_id
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import PDF, upload
from tests.journal.helpers import entries

DELETE = "mutation($id: ID!) { deleteDocument(id: $id) { deletedId userErrors { field message } } }"
LIST = """query($id: ID!, $all: Boolean) { patient(id: $id) {
  documents(first: 20, filter: {includeReplaced: $all}) {
    totalCount edges { node { id title status replaces { id status } } } } } }"""


async def test_a_new_version_replaces_the_old_which_stays_reachable(
    client, gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor)
    first = await factories.deposit(
        database, contents, patient, by=doctor, title="CR v1", type_code="11488-4"
    )
    variables = {
        "patientId": patient.global_id,
        "title": "CR v2",
        "typeCode": "11488-4",
        "replacesId": encode_id("Document", first.id),
    }
    body = (await upload(client, await token_of(doctor), variables, PDF)).json()
    assert body["data"]["depositDocument"]["userErrors"] == []
    token = await token_of(patient)
    current = (await gql(LIST, {"id": patient.global_id, "all": False}, token=token))["data"]["patient"][
        "documents"
    ]
    assert [e["node"]["title"] for e in current["edges"]] == ["CR v2"]
    assert current["edges"][0]["node"]["replaces"] == {
        "id": encode_id("Document", first.id),
        "status": "REPLACED",
    }
    everything = (await gql(LIST, {"id": patient.global_id, "all": True}, token=token))["data"]["patient"][
        "documents"
    ]
    assert everything["totalCount"] == 2
    again = (await upload(client, await token_of(doctor), variables, PDF)).json()
    assert again["data"]["depositDocument"]["userErrors"][0]["field"] == ["replacesId"]


async def test_only_the_author_or_the_patient_replaces(client, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    author, colleague = (
        await factories.make_professional(database),
        await factories.make_professional(database),
    )
    for professional in (author, colleague):
        await factories.add_to_care_team(database, patient, professional)
    first = await factories.deposit(database, contents, patient, by=author, title="CR", type_code="11488-4")
    variables = {
        "patientId": patient.global_id,
        "title": "CR bis",
        "typeCode": "11488-4",
        "replacesId": encode_id("Document", first.id),
    }
    assert error_codes((await upload(client, await token_of(colleague), variables, PDF)).json()) == [
        "FORBIDDEN"
    ]
    elsewhere = await factories.make_patient(database)
    other = await factories.deposit(database, contents, elsewhere, title="ailleurs")
    wrong_space = {**variables, "replacesId": encode_id("Document", other.id)}
    body = (await upload(client, await token_of(author), wrong_space, PDF)).json()
    assert body["data"]["depositDocument"]["userErrors"][0]["field"] == ["replacesId"]


async def test_deletion_rules_and_traces(gql, database, contents, token_of, settings) -> None:
    patient = await factories.make_patient(database)
    author, gp = await factories.make_professional(database), await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, author)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    by_author = await factories.deposit(
        database, contents, patient, by=author, title="du pro", content=b"unique content 1"
    )
    by_patient = await factories.deposit(
        database, contents, patient, title="du patient", content=b"unique content 2"
    )
    blobs_before = {p for p in Path(settings.resolved_content_dir).rglob("*") if p.is_file()}  # noqa: ASYNC240
    # The médecin traitant reads it but did not write it.
    assert error_codes(
        await gql(DELETE, {"id": encode_id("Document", by_author.id)}, token=await token_of(gp))
    ) == ["FORBIDDEN"]
    deleted = await gql(DELETE, {"id": encode_id("Document", by_author.id)}, token=await token_of(author))
    assert deleted["data"]["deleteDocument"]["deletedId"] == encode_id("Document", by_author.id)
    assert ("DELETE", "Document", str(by_author.id)) in {
        (e.action, e.object_type, e.object_id) for e in await entries(database, patient.person_id)
    }
    assert (await gql(DELETE, {"id": encode_id("Document", by_patient.id)}, token=await token_of(patient)))[
        "data"
    ]["deleteDocument"]["userErrors"] == []
    blobs_after = {p for p in Path(settings.resolved_content_dir).rglob("*") if p.is_file()}  # noqa: ASYNC240
    assert len(blobs_before - blobs_after) == 2  # the contents left the store
    gone = await gql(DELETE, {"id": encode_id("Document", by_patient.id)}, token=await token_of(patient))
    assert error_codes(gone) == ["NOT_FOUND"]
    assert (await gql(DELETE, {"id": "junk"}, token=await token_of(patient)))["data"]["deleteDocument"][
        "userErrors"
    ][0]["field"] == ["id"]
