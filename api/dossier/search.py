"""French full-text search over documents, on both dialects.

PostgreSQL: a tsvector (french configuration over unaccented text) stored on
the row and a GIN index. SQLite: an FTS5 table with accent folding (no French
stemming in SQLite; accents fold all the same: "hemoglobine" finds
"hémoglobine").
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.dossier.models import Document

_WORD = re.compile(r"\w+", re.UNICODE)


def vector_value(dialect: str, body: str) -> ColumnElement | None:  # type: ignore[type-arg]
    """The value of Document.search_vector for an insert (None on SQLite)."""
    if dialect != "postgresql":
        return None
    return func.to_tsvector("french", func.unaccent(body))


async def index_sqlite(connection: AsyncConnection, document_id: uuid.UUID, body: str) -> None:
    if connection.dialect.name == "sqlite":
        await connection.execute(
            text("INSERT INTO documents_fts (document_id, body) VALUES (:id, :body)"),
            {"id": document_id.hex, "body": body},
        )


async def unindex_sqlite(connection: AsyncConnection, document_id: uuid.UUID) -> None:
    if connection.dialect.name == "sqlite":
        await connection.execute(
            text("DELETE FROM documents_fts WHERE document_id = :id"), {"id": document_id.hex}
        )


def matches(dialect: str, query: str) -> ColumnElement[bool] | None:
    """A condition on Document for documents matching every word of `query`;
    None when the query has no word."""
    words = _WORD.findall(query)
    if not words:
        return None
    if dialect == "postgresql":
        return Document.search_vector.op("@@")(func.plainto_tsquery("french", func.unaccent(" ".join(words))))
    fts_query = " ".join(f'"{word}"*' for word in words)  # every word, as a prefix
    matching = (
        select(text("document_id"))
        .select_from(text("documents_fts"))
        .where(text("documents_fts MATCH :fts").bindparams(bindparam("fts", fts_query)))
    )
    return Document.id.in_(matching)
