"""Secure messaging: threads, participants, messages, attachments.

Revision ID: 0011_messaging
Revises: 0010_agenda
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0011_messaging"
down_revision = "0010_agenda"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("started_by_professional_id", sa.Uuid(), nullable=False),
        sa.Column("last_message_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("patient_archived_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_threads_patient_id_patients"),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_threads"),
        sa.UniqueConstraint("id", name="uq_threads_id"),
    )
    op.create_index("ix_threads_patient_last_message", "threads", ["patient_id", "last_message_at", "id"])
    op.create_table(
        "thread_participants",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name="fk_thread_participants_thread_id_threads"
        ),
        sa.PrimaryKeyConstraint("thread_id", "professional_id", name="pk_thread_participants"),
    )
    op.create_index(
        "ix_thread_participants_professional", "thread_participants", ["professional_id", "thread_id"]
    )
    op.create_table(
        "messages",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("sender_kind", sa.String(16), nullable=False),
        sa.Column("sender_account_id", sa.Uuid(), nullable=False),
        sa.Column("sender_professional_id", sa.Uuid(), nullable=True),
        sa.Column("sender_name", sa.String(220), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name="fk_messages_thread_id_threads"),
        sa.PrimaryKeyConstraint("thread_id", "id", name="pk_messages"),
        sa.UniqueConstraint("id", name="uq_messages_id"),
    )
    op.create_index("ix_messages_thread_sent", "messages", ["thread_id", "sent_at", "id"])
    op.create_index("ix_messages_sender_sent", "messages", ["sender_account_id", "sent_at"])
    op.create_table(
        "message_attachments",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_message_attachments_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("message_id", "document_id", name="pk_message_attachments"),
    )


def downgrade() -> None:
    op.drop_table("message_attachments")
    op.drop_table("messages")
    op.drop_table("thread_participants")
    op.drop_table("threads")
