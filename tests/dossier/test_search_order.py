"""The orders of a document listing (deposit, service date, relevance), French
stemming, and keyset cursors that hold while documents keep arriving. Every
test holds on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from datetime import date

from sqlalchemy import insert, text

from api.access.models import CareRole
from api.db import Database, utcnow
from api.dossier import search
from api.dossier.models import Document
from api.migrations import upgrade
from api.settings import Settings
from tests import factories
from tests.conftest import error_codes

LIST = """query($id: ID!, $q: String, $order: DocumentOrder, $after: String, $first: Int = 20) {
  patient(id: $id) { documents(first: $first, after: $after, search: $q, orderBy: $order) {
    totalCount edges { cursor node { title serviceDate } } pageInfo { hasNextPage endCursor } } } }"""

FILLER = " ".join(["Examen clinique sans particularité, patient en bon état général."] * 40)


async def _listing(gql, token, patient, **variables) -> dict:
    body = await gql(LIST, {"id": patient.global_id, **variables}, token=token)
    assert "errors" not in body, body
    return body["data"]["patient"]["documents"]


async def _titles(gql, token, patient, **variables) -> list[str]:
    listing = await _listing(gql, token, patient, **variables)
    return [edge["node"]["title"] for edge in listing["edges"]]


def _refusal(body: dict) -> tuple[list[str], list[str | None]]:
    return error_codes(body), [error["extensions"].get("field") for error in body["errors"]]


async def test_french_forms_and_accents_meet(gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    await factories.deposit(
        database, contents, patient, title="Hémoglobine glyquée", content=b"Analyse normale."
    )
    await factories.deposit(
        database,
        contents,
        patient,
        title="Bilan",
        type_code="11488-4",
        content="Glycémies élevées; créatininémie à contrôler.".encode(),
    )
    for query in ("glyquées", "glyquee", "GLYQUEES", "hemoglobine", "Hémoglobines glyquées"):
        assert await _titles(gql, token, patient, q=query) == ["Hémoglobine glyquée"], query
    for query in ("analyses normales", "analyse", "normal"):
        assert await _titles(gql, token, patient, q=query) == ["Hémoglobine glyquée"], query
    for query in ("glycémie", "glycemie elevee", "créatininemie"):
        assert await _titles(gql, token, patient, q=query) == ["Bilan"], query


async def test_relevance_puts_a_title_match_above_a_mention_deep_in_the_body(
    gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    await factories.deposit(
        database, contents, patient, title="Hémoglobine glyquée", content=b"Resultat: 7,1 %."
    )
    await factories.deposit(
        database,
        contents,
        patient,
        title="Consultation de suivi",
        type_code="11488-4",
        content=f"{FILLER} Penser à doser l'hémoglobine glyquée. {FILLER}".encode(),
    )
    await factories.deposit(
        database,
        contents,
        patient,
        title="Consultation annuelle",
        type_code="11488-4",
        content=f"Hémoglobine glyquée stable. {FILLER} Hémoglobine glyquée à refaire.".encode(),
    )
    await factories.deposit(database, contents, patient, title="Sans rapport", content=b"Tension normale.")
    newest_first = await _titles(gql, token, patient, q="hemoglobine glyquees")
    assert newest_first == ["Consultation annuelle", "Consultation de suivi", "Hémoglobine glyquée"]
    by_relevance = await _titles(gql, token, patient, q="hemoglobine glyquees", order="RELEVANCE")
    # The title first, then the body that says it twice, then the one mention.
    assert by_relevance == ["Hémoglobine glyquée", "Consultation annuelle", "Consultation de suivi"]


async def test_relevance_pages_return_every_match_once_while_documents_arrive(
    gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    expected = set()
    # Several scores, and ties (ties go by id, newest first).
    for index in range(3):
        title = f"Glycémie à jeun {index}"
        await factories.deposit(database, contents, patient, title=title, content=b"Glycemie: 1,02 g/L.")
        expected.add(title)
    for index in range(3):
        title = f"Consultation {index}"
        await factories.deposit(
            database, contents, patient, title=title, content=f"{FILLER} glycémie {index}".encode()
        )
        expected.add(title)
    await factories.deposit(database, contents, patient, title="Autre", content=b"Tension normale.")

    async def cursors() -> dict[str, str]:
        listing = await _listing(gql, token, patient, q="glycemies", order="RELEVANCE", first=50)
        return {edge["node"]["title"]: edge["cursor"] for edge in listing["edges"]}

    # A cursor carries the score: it must not move when other documents arrive.
    before = await cursors()
    seen: list[str] = []
    after = None
    for page in range(20):
        listing = await _listing(gql, token, patient, q="glycemies", order="RELEVANCE", first=1, after=after)
        seen += [edge["node"]["title"] for edge in listing["edges"]]
        if page in {1, 3}:
            # New matches, one scoring above every page seen, one below: neither moves the others.
            await factories.deposit(
                database, contents, patient, title=f"Glycémie nouvelle {page}", content=b"glycemie"
            )
            await factories.deposit(
                database, contents, patient, title=f"Note {page}", content=f"{FILLER} glycémie".encode()
            )
        if not listing["pageInfo"]["hasNextPage"]:
            break
        after = listing["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)), seen
    assert expected <= set(seen)
    assert "Autre" not in seen
    now = await cursors()
    assert {title: now[title] for title in before} == before
    # Title matches first, then the body-only ones.
    first_body_only = min(index for index, title in enumerate(seen) if not title.startswith("Glycémie"))
    assert all(not title.startswith("Glycémie") for title in seen[first_body_only:])


async def test_service_date_order_puts_undated_last_and_pages_by_keyset(
    gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    for title, day in (
        ("Mars", date(2024, 3, 1)),
        ("Sans date A", None),
        ("Janvier", date(2024, 1, 15)),
        ("Mars bis", date(2024, 3, 1)),
        ("Sans date B", None),
        ("Décembre", date(2023, 12, 31)),
    ):
        await factories.deposit(database, contents, patient, title=title, service_date=day)
    everything = await _titles(gql, token, patient, order="SERVICE_DATE_DESC")
    assert everything == ["Mars bis", "Mars", "Janvier", "Décembre", "Sans date B", "Sans date A"]
    paged: list[str] = []
    after = None
    while True:
        listing = await _listing(gql, token, patient, order="SERVICE_DATE_DESC", first=1, after=after)
        paged += [edge["node"]["title"] for edge in listing["edges"]]
        if len(paged) == 2:
            await factories.deposit(
                database, contents, patient, title="Arrivé", service_date=date(2024, 2, 1)
            )
        if not listing["pageInfo"]["hasNextPage"]:
            break
        after = listing["pageInfo"]["endCursor"]
    assert paged == ["Mars bis", "Mars", "Arrivé", "Janvier", "Décembre", "Sans date B", "Sans date A"]
    default = await _titles(gql, token, patient)
    assert default == await _titles(gql, token, patient, order="DEPOSITED_AT_DESC")
    assert default[0] == "Arrivé"


async def test_relevance_needs_a_search(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    body = await gql(LIST, {"id": patient.global_id, "order": "RELEVANCE"}, token=await token_of(patient))
    assert _refusal(body) == (["BAD_USER_INPUT"], ["orderBy"])


async def test_bad_cursors_are_user_errors(gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    for index in range(2):
        await factories.deposit(
            database, contents, patient, title=f"Glycémie {index}", service_date=date(2024, 1, index + 1)
        )
    cursors = {}
    for order in ("DEPOSITED_AT_DESC", "SERVICE_DATE_DESC", "RELEVANCE"):
        listing = await _listing(gql, token, patient, q="glycemie", order=order, first=1)
        cursors[order] = listing["pageInfo"]["endCursor"]

    def forge(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode()

    big = 1 << 130
    bad = {
        "RELEVANCE": [
            "garbage",
            "%%%",
            "",
            cursors["DEPOSITED_AT_DESC"],
            cursors["SERVICE_DATE_DESC"],
            forge("documents.relevance:abc:1"),
            forge("documents.relevance:-5:1"),
            forge(f"documents.relevance:{1 << 70}:1"),
            forge(f"documents.relevance:10:{big}"),
            forge("documents.relevance:10"),
            forge("documents.relevance:10:1:2"),
            "x" * 5000,
        ],
        "SERVICE_DATE_DESC": [
            cursors["RELEVANCE"],
            cursors["DEPOSITED_AT_DESC"],
            forge("documents.serviceDate:2024-02-30:1"),
            forge("documents.serviceDate:demain:1"),
            base64.urlsafe_b64encode(b"\xff\xfe:\x00").decode(),
        ],
        "DEPOSITED_AT_DESC": [cursors["RELEVANCE"], cursors["SERVICE_DATE_DESC"], forge(f"documents:{big}")],
    }
    for order, forged in bad.items():
        for cursor in forged:
            body = await gql(
                LIST,
                {"id": patient.global_id, "q": "glycemie", "order": order, "after": cursor, "first": 1},
                token=token,
            )
            assert _refusal(body) == (["BAD_USER_INPUT"], ["after"]), (order, cursor)
    # A valid cursor leads to the second document.
    for order, cursor in cursors.items():
        listing = await _listing(gql, token, patient, q="glycemie", order=order, first=1, after=cursor)
        assert len(listing["edges"]) == 1


async def test_relevance_never_finds_nor_counts_what_the_reader_may_not_see(
    gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, patient, pharmacist, CareRole.DECLARED_BY_PATIENT)
    await factories.deposit(database, contents, patient, title="Glycémie visible", content=b"glycemie")
    await factories.deposit(
        database,
        contents,
        patient,
        title="Glycémie masquée",
        content=b"glycemie",
        masked_from_professionals=True,
    )
    listing = await _listing(
        gql, await token_of(pharmacist), patient, q="glycemie", order="RELEVANCE", first=1
    )
    assert listing["totalCount"] == 1
    assert [edge["node"]["title"] for edge in listing["edges"]] == ["Glycémie visible"]
    assert listing["pageInfo"]["hasNextPage"] is False


async def test_the_migration_stems_what_sqlite_had_indexed(tmp_path) -> None:
    """An SQLite database indexed before stemming is reindexed from its own
    (unstemmed) index rows, the title apart, without the contents (on its own
    SQLite file, whichever database the suite runs on: the index is SQLite's)."""
    settings = Settings(
        _env_file=None,
        var_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'old.db'}",
        env="development",
    )
    old = Database(settings)
    try:
        await upgrade(old, "0006_profile")
        patient = await factories.make_patient(old)
        document_id = uuid.uuid4()
        async with old.session() as session:
            connection = await session.connection()
            await connection.execute(
                insert(Document).values(
                    patient_id=patient.person_id,
                    id=document_id,
                    type_code="11502-2",
                    category="LAB_RESULT",
                    title="Hémoglobine glyquée",
                    deposited_at=utcnow(),
                    depositor_kind="PATIENT",
                    depositor_account_id=patient.account_id,
                    client_id="test",
                    mime_type="text/plain",
                    file_name="a.txt",
                    size_bytes=1,
                    sha256="0" * 64,
                    blob_key="k",
                    status="CURRENT",
                    masked_from_professionals=False,
                    hidden_from_patient=False,
                    hidden_from_representatives=False,
                    masked_even_in_emergency=False,
                )
            )
            await connection.execute(
                text("INSERT INTO documents_fts (document_id, body) VALUES (:id, :body)"),
                {
                    "id": document_id.hex,
                    "body": "Hémoglobine glyquée Compte rendu d'examens biologiques 7,1 %",
                },
            )
        await upgrade(old)
        async with old.read() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT document_id, patient_id, title, body FROM documents_fts "
                        "WHERE documents_fts MATCH :q"
                    ),
                    {"q": '"glyque"*'},
                )
            ).one()
        assert row == (
            document_id.hex,
            patient.person_id.hex,
            "hemoglobin glyque",
            search.stemmed("Compte rendu d'examens biologiques 7,1 %"),
        )
    finally:
        await old.dispose()
