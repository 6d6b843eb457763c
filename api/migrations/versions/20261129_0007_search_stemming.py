"""French stemming and a separate title column in SQLite's search index.

documents_fts becomes (document_id, patient_id, title, body), holding words
accent-folded and stemmed by the Snowball French stemmer (api.dossier.search),
like PostgreSQL's to_tsvector('french', unaccent(...)); the title apart so a
title match ranks above a body match, and the patient so a search scores only
that patient's documents.

Existing SQLite databases: the old table held each document's searchable text
unstemmed (title, type label, author, organization, extracted text), in
clear. Every row is rebuilt from it: the title from the documents table, the
rest from the old text without its leading title, both stemmed. No content
needs decrypting, and no document is left out of the index. A document
deposited before migration 0005 had no index row and still has none.

PostgreSQL: nothing to do; its tsvector is already stemmed, and the title's
weight is applied at query time.

Downgrade (SQLite) restores the old shape, with the stemmed words: searches
still find documents by word stem, prefix-matched, but the unstemmed text is
gone.

Revision ID: 0007_search_stemming
Revises: 0006_profile
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from api.dossier.search import stemmed

revision = "0007_search_stemming"
down_revision = "0006_profile"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE documents_fts RENAME TO documents_fts_unstemmed")
    op.execute(
        "CREATE VIRTUAL TABLE documents_fts USING fts5("
        "document_id UNINDEXED, patient_id UNINDEXED, title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    last = 0
    while True:
        rows = bind.execute(
            text(
                "SELECT old.rowid, old.document_id, documents.patient_id, documents.title, old.body "
                "FROM documents_fts_unstemmed AS old JOIN documents ON documents.id = old.document_id "
                "WHERE old.rowid > :last ORDER BY old.rowid LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        for rowid, document_id, patient_id, title, body in rows:
            # The old text began with the title (api.dossier.service.deposit); the rest follows it.
            rest = body[len(title) :] if body.startswith(title) else body
            bind.execute(
                text(
                    "INSERT INTO documents_fts (document_id, patient_id, title, body) "
                    "VALUES (:id, :patient, :title, :body)"
                ),
                {"id": document_id, "patient": patient_id, "title": stemmed(title), "body": stemmed(rest)},
            )
            last = rowid
    op.execute("DROP TABLE documents_fts_unstemmed")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE documents_fts RENAME TO documents_fts_stemmed")
    op.execute(
        "CREATE VIRTUAL TABLE documents_fts USING fts5("
        "document_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO documents_fts (document_id, body) "
        "SELECT document_id, title || ' ' || body FROM documents_fts_stemmed"
    )
    op.execute("DROP TABLE documents_fts_stemmed")
