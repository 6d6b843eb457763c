"""Reimbursements: the insurer's statement lines.

Revision ID: 0009_reimbursements
Revises: 0008_interop
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0009_reimbursements"
down_revision = "0008_interop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reimbursements",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("care_date", sa.Date(), nullable=False),
        sa.Column("act_code", sa.String(16), nullable=False),
        sa.Column("act_label", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=True),
        sa.Column("professional_name", sa.String(200), nullable=True),
        sa.Column("charged_cents", sa.BigInteger(), nullable=False),
        sa.Column("base_cents", sa.BigInteger(), nullable=False),
        sa.Column("rate_percent", sa.Integer(), nullable=False),
        sa.Column("reimbursed_cents", sa.BigInteger(), nullable=False),
        sa.Column("complementary_cents", sa.BigInteger(), nullable=False),
        sa.Column("participation_forfaitaire_cents", sa.BigInteger(), nullable=False),
        sa.Column("franchise_cents", sa.BigInteger(), nullable=False),
        sa.Column("out_of_pocket_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("hidden_from_representatives", sa.Boolean(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_reimbursements_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_reimbursements"),
        sa.UniqueConstraint("line_id", name="uq_reimbursements_line_id"),
    )
    op.create_index(
        "ix_reimbursements_patient_care_date", "reimbursements", ["patient_id", "care_date", "id"]
    )


def downgrade() -> None:
    op.drop_table("reimbursements")
