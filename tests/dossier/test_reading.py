"""Who sees which documents: lists, counts and single reads follow the policy,
in SQL and in Python alike; contents are sealed and checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.access.models import CareRole
from api.access.policy import Action, DocumentDecision, document_decision
from api.access.service import Access
from api.contents.crypto import ContentIntegrityError
from api.db import utcnow
from api.dossier.models import Document
from api.graphql.ids import encode_id
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries

LIST = """query($id: ID!) { patient(id: $id) { documents(first: 50) {
  totalCount edges { node { id title category } } } } }"""
ONE = "query($id: ID!, $doc: ID!) { patient(id: $id) { document(id: $doc) { id title } } }"

FLAGS = {
    "plain": {},
    "masked": {"masked_from_professionals": True},
    "masked_in_emergency": {"masked_from_professionals": True, "masked_even_in_emergency": True},
    "hidden_from_patient": {"hidden_from_patient": True},
    "hidden_from_reps": {"hidden_from_representatives": True},
}


async def _space(database, contents):
    """A patient with a lab result and an imaging report for each flag."""
    patient = await factories.make_patient(database)
    documents = {}
    for name, flags in FLAGS.items():
        documents[f"lab-{name}"] = await factories.deposit(
            database, contents, patient, title=f"lab {name}", **flags
        )
        documents[f"img-{name}"] = await factories.deposit(
            database, contents, patient, title=f"img {name}", type_code="18748-4", **flags
        )
    return patient, documents


async def _seen(gql, token: str, patient) -> set[str]:
    body = await gql(LIST, {"id": patient.global_id}, token=token)
    assert "errors" not in body, body
    listing = body["data"]["patient"]["documents"]
    titles = {edge["node"]["title"] for edge in listing["edges"]}
    assert listing["totalCount"] == len(titles)  # never counted when not returned
    return titles


async def _principal_of(database, person):
    account = await find_account(database, str(person.account_id))
    return principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:read"})


async def test_lists_and_single_reads_agree_with_the_policy(gql, database, contents, token_of) -> None:
    patient, documents = await _space(database, contents)
    gp = await factories.make_professional(database)
    physician = await factories.make_professional(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    parent = await factories.make_patient(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, physician)
    await factories.add_to_care_team(database, patient, pharmacist)
    await factories.represent(database, patient, parent)
    for reader in (patient, gp, physician, pharmacist, parent):
        principal = await _principal_of(database, reader)
        facts = await Access(principal, database).facts(patient.person_id)
        expected = {
            record.title
            for record in documents.values()
            if document_decision(principal, facts, record.facts, Action.READ, utcnow())
            is DocumentDecision.ALLOW
        }
        token = await token_of(reader)
        assert await _seen(gql, token, patient) == expected, reader.handle
        for record in documents.values():
            body = await gql(
                ONE, {"id": patient.global_id, "doc": encode_id("Document", record.id)}, token=token
            )
            if record.title in expected:
                assert body["data"]["patient"]["document"]["title"] == record.title
            else:
                assert error_codes(body) == ["NOT_FOUND"], (reader.handle, record.title)


async def test_the_readers_see_what_domain_md_says(gql, database, contents, token_of) -> None:
    patient, _ = await _space(database, contents)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    parent = await factories.make_patient(database)
    await factories.add_to_care_team(database, patient, pharmacist)
    await factories.represent(database, patient, parent)
    assert await _seen(gql, await token_of(pharmacist), patient) == {
        "lab plain",
        "lab hidden_from_patient",
        "lab hidden_from_reps",
    }
    assert "lab hidden_from_reps" not in await _seen(gql, await token_of(parent), patient)
    assert "lab hidden_from_patient" not in await _seen(gql, await token_of(patient), patient)


async def test_every_document_read_by_a_professional_is_journaled(gql, database, contents, token_of) -> None:
    patient, documents = await _space(database, contents)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await _seen(gql, await token_of(gp), patient)
    read = {e.object_id for e in await entries(database, patient.person_id) if e.object_type == "Document"}
    assert read == {str(record.id) for record in documents.values()}


async def test_outsiders_are_forbidden_and_filters_apply(gql, database, contents, token_of) -> None:
    patient, _ = await _space(database, contents)
    outsider = await factories.make_professional(database)
    assert error_codes(await gql(LIST, {"id": patient.global_id}, token=await token_of(outsider))) == [
        "FORBIDDEN"
    ]
    only_imaging = await gql(
        """query($id: ID!) { patient(id: $id) { documents(first: 50, filter: {categories: [IMAGING]}) {
          totalCount edges { node { category } } } } }""",
        {"id": patient.global_id},
        token=await token_of(patient),
    )
    listing = only_imaging["data"]["patient"]["documents"]
    assert {edge["node"]["category"] for edge in listing["edges"]} == {"IMAGING"}
    assert listing["totalCount"] == 4  # five flags, one hidden from the patient


async def test_pages_follow_each_other_newest_first(gql, database, contents, token_of) -> None:
    patient, documents = await _space(database, contents)
    query = """query($id: ID!, $after: String) { patient(id: $id) { documents(first: 4, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { title } } } } }"""
    token = await token_of(patient)
    seen, after = [], None
    while True:
        page = (await gql(query, {"id": patient.global_id, "after": after}, token=token))["data"]["patient"][
            "documents"
        ]
        seen.extend(edge["node"]["title"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = [
        r.title
        for r in sorted(documents.values(), key=lambda r: r.id, reverse=True)
        if not r.hidden_from_patient
    ]
    assert seen == expected


async def test_documents_load_in_constant_statements(
    gql, database, contents, token_of, count_statements
) -> None:
    async def statements(n: int) -> int:
        patient = await factories.make_patient(database)
        author = await factories.make_professional(database)
        await factories.add_to_care_team(database, patient, author)
        for _ in range(n):
            await factories.deposit(database, contents, patient, by=author)
        token = await token_of(patient)
        query = """query($id: ID!, $n: Int) { patient(id: $id) { documents(first: $n) {
          edges { node { title author { displayName organization { name } } organization { name } } } } } }"""
        before = count_statements.count
        body = await gql(query, {"id": patient.global_id, "n": n}, token=token)
        assert len(body["data"]["patient"]["documents"]["edges"]) == n
        return count_statements.count - before

    assert await statements(5) == await statements(50)


async def test_contents_are_sealed_and_checked(database, contents) -> None:
    patient = await factories.make_patient(database)
    record = await factories.deposit(database, contents, patient, content=b"Glycemie a jeun 1,32 g/L")
    async with database.read() as connection:
        blob_key = await connection.scalar(select(Document.blob_key).where(Document.id == record.id))
    assert await contents.open(patient.person_id, blob_key, record.sha256) == b"Glycemie a jeun 1,32 g/L"
    other = await factories.make_patient(database)
    with pytest.raises(ContentIntegrityError):
        await contents.open(other.person_id, blob_key, record.sha256)  # another space's key
    path = contents._store._path(blob_key)
    sealed = bytearray(path.read_bytes())
    sealed[-1] ^= 1
    path.write_bytes(bytes(sealed))
    with pytest.raises(ContentIntegrityError):
        await contents.open(patient.person_id, blob_key, record.sha256)


async def test_the_contract_filters(gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    author = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, author)
    await factories.deposit(database, contents, patient, by=author, title="du pro", type_code="11488-4")
    await factories.deposit(database, contents, patient, title="du patient", type_code="51851-4")
    token = await token_of(patient)
    query = """query($id: ID!, $filter: DocumentFilter) { patient(id: $id) {
      documents(first: 10, filter: $filter) { edges { node { title } } } } }"""

    async def titles(filter_: dict) -> set[str]:
        body = await gql(query, {"id": patient.global_id, "filter": filter_}, token=token)
        assert "errors" not in body, body
        return {edge["node"]["title"] for edge in body["data"]["patient"]["documents"]["edges"]}

    assert await titles({"typeCodes": ["11488-4"]}) == {"du pro"}
    assert await titles({"authorId": author.global_id}) == {"du pro"}
    assert await titles({"serviceDateFrom": "2000-01-01"}) == set()  # no service date recorded
    bad = await gql(query, {"id": patient.global_id, "filter": {"authorId": "nope"}}, token=token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
