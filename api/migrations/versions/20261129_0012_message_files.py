"""Secure messaging: new files sent with a message.

Revision ID: 0012_message_files
Revises: 0011_messaging
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0012_message_files"
down_revision = "0011_messaging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_files",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob_key", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name="fk_message_files_message_id_messages"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name="fk_message_files_thread_id_threads"),
        sa.PrimaryKeyConstraint("message_id", "id", name="pk_message_files"),
        sa.UniqueConstraint("id", name="uq_message_files_id"),
    )
    op.create_index("ix_message_files_blob_key", "message_files", ["blob_key"])


def downgrade() -> None:
    op.drop_index("ix_message_files_blob_key", table_name="message_files")
    op.drop_table("message_files")
