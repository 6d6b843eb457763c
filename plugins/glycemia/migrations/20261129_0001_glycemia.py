"""The glycemia plugin: HbA1c readings from lab results, and targets.

Revision ID: glycemia_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "glycemia_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glycemia_lab_readings",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_glycemia_lab_readings_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name="fk_glycemia_lab_readings_document_id_documents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_glycemia_lab_readings"),
        sa.UniqueConstraint(
            "document_id", "measured_on", "value", name="uq_glycemia_lab_readings_document_id"
        ),
    )
    op.create_index(
        "ix_glycemia_lab_readings_patient_measured", "glycemia_lab_readings", ["patient_id", "measured_on"]
    )
    op.create_table(
        "glycemia_targets",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("max_percent", sa.Float(), nullable=False),
        sa.Column("set_by_name", sa.String(220), nullable=False),
        sa.Column("set_by_professional_id", sa.Uuid(), nullable=True),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_glycemia_targets_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("patient_id", name="pk_glycemia_targets"),
    )


def downgrade() -> None:
    op.drop_table("glycemia_targets")
    op.drop_table("glycemia_lab_readings")
