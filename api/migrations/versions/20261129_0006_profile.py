"""The medical profile: entries and measurements.

Revision ID: 0006_profile
Revises: 0005_dossier
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0006_profile"
down_revision = "0005_dossier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_entries",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=True),
        sa.Column("entered_by_kind", sa.String(16), nullable=False),
        sa.Column("entered_by_name", sa.String(220), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_profile_entries_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_profile_entries"),
    )
    op.create_index("ix_profile_entries_patient_kind", "profile_entries", ["patient_id", "kind"])
    op.create_table(
        "measurements",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("measured_at", UTCDateTime(), nullable=False),
        sa.Column("entered_by_kind", sa.String(16), nullable=False),
        sa.Column("entered_by_name", sa.String(220), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_measurements_patient_id_patients"),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_measurements"),
    )
    op.create_index("ix_measurements_patient_kind_at", "measurements", ["patient_id", "kind", "measured_at"])


def downgrade() -> None:
    op.drop_table("measurements")
    op.drop_table("profile_entries")
