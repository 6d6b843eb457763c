"""The agenda: items, computation state, private calendar feeds.

Revision ID: 0010_agenda
Revises: 0009_reimbursements
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0010_agenda"
down_revision = "0009_reimbursements"
branch_labels = None
depends_on = None


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=f"fk_{table}_patient_id_patients")


def upgrade() -> None:
    op.create_table(
        "agenda_items",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("done_ref", sa.String(64), nullable=True),
        sa.Column("rule_code", sa.String(60), nullable=True),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by_patient", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _patient_fk("agenda_items"),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_agenda_items"),
        sa.UniqueConstraint("patient_id", "key", name="uq_agenda_items_patient_key"),
    )
    op.create_index("ix_agenda_items_patient_day", "agenda_items", ["patient_id", "day", "id"])
    op.create_table(
        "agenda_states",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("computed_day", sa.Date(), nullable=False),
        sa.Column("inputs_mark", sa.String(64), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        _patient_fk("agenda_states"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_agenda_states"),
    )
    op.create_table(
        "agenda_reminder_preferences",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("refused_kinds", sa.String(100), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _patient_fk("agenda_reminder_preferences"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_agenda_reminder_preferences"),
    )
    op.create_table(
        "agenda_feeds",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_by_account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _patient_fk("agenda_feeds"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_agenda_feeds"),
        sa.UniqueConstraint("secret_sha256", name="uq_agenda_feeds_secret_sha256"),
    )


def downgrade() -> None:
    op.drop_table("agenda_feeds")
    op.drop_table("agenda_reminder_preferences")
    op.drop_table("agenda_states")
    op.drop_table("agenda_items")
