"""French full-text search over documents, on both dialects.

PostgreSQL: a tsvector (french configuration over unaccented text) stored on
the row and a GIN index. SQLite: an FTS5 table holding the same kind of
words, accent-folded then stemmed here with the Snowball French stemmer (the
algorithm PostgreSQL's french configuration uses), so "glyquées" finds
"glyquée" and "hemoglobine" finds "Hémoglobine" on both.

Relevance is a per-document score: it depends only on the document and the
query, never on the rest of the corpus, so a deposit elsewhere does not move
a document in a relevance-ordered listing and keyset cursors stay valid.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncConnection

from api.dossier.models import Document

# Letters and digits; "_" separates words, as in FTS5's unicode61 tokenizer.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Ligatures NFKD leaves alone but PostgreSQL's unaccent folds.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# A Snowball stemmer keeps state while it works: one per thread (deposits stem in worker threads).
_STEMMERS = threading.local()

# SQLite relevance: title hits dominate, body hits (capped) order within them.
TITLE_WEIGHT = 1000
BODY_CAP = TITLE_WEIGHT - 1
# PostgreSQL relevance: ts_rank is a real; scaled to an integer so cursors carry it exactly.
RANK_SCALE = 1_000_000

_FTS = table("documents_fts", column("document_id"), column("patient_id"), column("title"), column("body"))


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.translate(_LIGATURES).lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """One word as the index holds it: lower case, accents folded, then stemmed
    (folding first, like to_tsvector('french', unaccent(...)), so "glyquee" and
    "glyquées" meet)."""
    stemmer = getattr(_STEMMERS, "french", None)
    if stemmer is None:
        stemmer = _STEMMERS.french = snowballstemmer.stemmer("french")
    return stemmer.stemWord(_fold(word))


def words(query: str) -> list[str]:
    return _WORD.findall(query)


def stemmed(value: str) -> str:
    """The stemmed words of a text, space-separated (what SQLite indexes)."""
    return " ".join(stem(word) for word in _WORD.findall(value))


@dataclass(frozen=True, slots=True)
class SqliteEntry:
    """A document's row in documents_fts, stemmed (prepared off the event loop)."""

    title: str
    body: str


def sqlite_entry(dialect: str, title: str, body: str) -> SqliteEntry | None:
    """The FTS5 row of a document on SQLite (None on PostgreSQL): its title apart
    from the rest of its words, so title matches weigh more."""
    if dialect != "sqlite":
        return None
    return SqliteEntry(stemmed(title), stemmed(body))


def vector_value(dialect: str, title: str, body: str) -> ColumnElement | None:  # type: ignore[type-arg]
    """The value of Document.search_vector for an insert (None on SQLite): every
    word, and the title's again with weight A, so that ranking reads only the
    stored vector (computing the title's at query time cost more than the search)."""
    if dialect != "postgresql":
        return None
    title_vector = func.setweight(func.to_tsvector("french", func.unaccent(title)), literal_column("'A'"))
    return title_vector.op("||", return_type=TSVECTOR)(func.to_tsvector("french", func.unaccent(body)))


async def index_sqlite(
    connection: AsyncConnection, document_id: uuid.UUID, patient_id: uuid.UUID, entry: SqliteEntry | None
) -> None:
    if connection.dialect.name == "sqlite" and entry is not None:
        await connection.execute(
            sql_text(
                "INSERT INTO documents_fts (document_id, patient_id, title, body) "
                "VALUES (:id, :patient, :title, :body)"
            ),
            {"id": document_id.hex, "patient": patient_id.hex, "title": entry.title, "body": entry.body},
        )


async def unindex_sqlite(connection: AsyncConnection, document_id: uuid.UUID) -> None:
    if connection.dialect.name == "sqlite":
        await connection.execute(
            sql_text("DELETE FROM documents_fts WHERE document_id = :id"), {"id": document_id.hex}
        )


def matching(
    query: Select,  # type: ignore[type-arg]
    dialect: str,
    search: str,
    patient_id: uuid.UUID,
) -> tuple[Select, ColumnElement[int]] | None:  # type: ignore[type-arg]
    """`query` (over Document) narrowed to the documents matching every word of
    `search`, and the relevance score of each (an integer, higher is better);
    None when the search has no word."""
    found = words(search)
    if not found:
        return None
    if dialect == "postgresql":
        terms = func.plainto_tsquery("french", func.unaccent(" ".join(found)))
        # The stored vector holds the title's words with weight A (vector_value), so
        # they count more. ts_rank without length normalization reads only this row.
        score = cast(func.ts_rank(Document.search_vector, terms) * RANK_SCALE, BigInteger)
        return query.where(Document.search_vector.op("@@")(terms)), score
    # SQLite: FTS5's bm25() depends on corpus statistics (document count, average
    # length, how many documents hold a term), so a deposit would change every score
    # and break keyset cursors. Instead, count this document's own hits with
    # highlight() (one marker per matched token) in the title and body columns:
    # TITLE_WEIGHT per title hit, plus body hits up to BODY_CAP. Deterministic,
    # per document, and a title match always outranks any body-only match.
    fts_query = " ".join(f'"{stem(word)}"*' for word in found)  # every word, as a prefix of its stem
    hits = {
        name: literal_column(
            f"(length(highlight(documents_fts, {index}, char(1), '')) - "
            f"length(replace(highlight(documents_fts, {index}, char(1), ''), char(1), '')))"
        )
        for name, index in (("title", 2), ("body", 3))
    }
    score = (TITLE_WEIGHT * hits["title"] + func.min(BODY_CAP, hits["body"])).label("score")
    matched = (
        select(_FTS.c.document_id, score)
        .select_from(_FTS)
        .where(
            sql_text("documents_fts MATCH :fts").bindparams(bindparam("fts", fts_query)),
            _FTS.c.patient_id == patient_id.hex,
        )
        .subquery("matched")
    )
    return query.join(matched, matched.c.document_id == Document.id), matched.c.score
