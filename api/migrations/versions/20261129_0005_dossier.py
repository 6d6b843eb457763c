"""The dossier: documents, and the data key of each space.

Revision ID: 0005_dossier
Revises: 0004_oauth
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from api.db import UTCDateTime

revision = "0005_dossier"
down_revision = "0004_oauth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "space_keys",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_space_keys_patient_id_patients"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_space_keys"),
    )
    op.create_table(
        "documents",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type_code", sa.String(16), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("deposited_at", UTCDateTime(), nullable=False),
        sa.Column("author_professional_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("depositor_kind", sa.String(16), nullable=False),
        sa.Column("depositor_account_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob_key", sa.String(100), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("hidden_notice_sent_at", UTCDateTime(), nullable=True),
        sa.Column("replaces_id", sa.Uuid(), nullable=True),
        sa.Column("search_vector", TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.Column("masked_from_professionals", sa.Boolean(), nullable=False),
        sa.Column("hidden_from_patient", sa.Boolean(), nullable=False),
        sa.Column("hidden_from_representatives", sa.Boolean(), nullable=False),
        sa.Column("masked_even_in_emergency", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_documents_patient_id_patients"),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_documents"),
        sa.UniqueConstraint("id", name="uq_documents_id"),
    )
    op.create_index("ix_documents_patient_deposited", "documents", ["patient_id", "deposited_at", "id"])
    op.create_index("ix_documents_search_vector", "documents", ["search_vector"], postgresql_using="gin")
    op.create_index(
        "ix_documents_hidden_pending",
        "documents",
        ["deposited_at"],
        postgresql_where=sa.text("hidden_from_patient"),
        sqlite_where=sa.text("hidden_from_patient"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Accent folding for French search ("hemoglobine" finds "hémoglobine").
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    else:
        # SQLite: an FTS5 index folding accents (no French stemming there).
        op.execute(
            "CREATE VIRTUAL TABLE documents_fts USING fts5("
            "document_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    op.create_table(
        "deposit_idempotency_keys",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "client_id", "key", name="pk_deposit_idempotency_keys"),
    )
    op.create_index("ix_deposit_idempotency_keys_created_at", "deposit_idempotency_keys", ["created_at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE documents_fts")
    op.drop_table("deposit_idempotency_keys")
    op.drop_table("documents")
    op.drop_table("space_keys")
