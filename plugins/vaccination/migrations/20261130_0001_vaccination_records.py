"""The vaccination plugin's table: vaccinations read from immunization notes.

Revision ID: vaccination_0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "vaccination_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vaccination_records",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vaccine_label", sa.String(200), nullable=False),
        sa.Column("vaccine_code", sa.String(40), nullable=True),
        sa.Column("code_system", sa.String(20), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_vaccination_records_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_vaccination_records_document_id_documents"
        ),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_vaccination_records"),
        sa.UniqueConstraint("document_id", "position", name="uq_vaccination_records_document_position"),
    )
    op.create_index("ix_vaccination_records_patient_given", "vaccination_records", ["patient_id", "given_on"])


def downgrade() -> None:
    op.drop_index("ix_vaccination_records_patient_given", table_name="vaccination_records")
    op.drop_table("vaccination_records")
