"""The directory: organizations, professionals, patients, operators, accounts.

Revision ID: 0001_directory
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0001_directory"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("finess", sa.String(9), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
        sa.UniqueConstraint("finess", name="uq_organizations_finess"),
    )
    op.create_table(
        "professionals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rpps", sa.String(11), nullable=True),
        sa.Column("title", sa.String(16), nullable=True),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("profession", sa.String(40), nullable=False),
        sa.Column("specialty", sa.String(80), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_professionals_organization_id_organizations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_professionals"),
        sa.UniqueConstraint("rpps", name="uq_professionals_rpps"),
    )
    op.create_index("ix_professionals_organization_id", "professionals", ["organization_id"])
    op.create_table(
        "patients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ins", sa.String(15), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("ins", name="uq_patients_ins"),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("professional_id", sa.Uuid(), nullable=True),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN patient_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN professional_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN operator_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_accounts_one_person",
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_accounts_patient_id_patients"),
        sa.ForeignKeyConstraint(
            ["professional_id"], ["professionals.id"], name="fk_accounts_professional_id_professionals"
        ),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], name="fk_accounts_operator_id_operators"),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("handle", name="uq_accounts_handle"),
        sa.UniqueConstraint("patient_id", name="uq_accounts_patient_id"),
        sa.UniqueConstraint("professional_id", name="uq_accounts_professional_id"),
        sa.UniqueConstraint("operator_id", name="uq_accounts_operator_id"),
    )


def downgrade() -> None:
    op.drop_table("accounts")
    op.drop_table("operators")
    op.drop_table("patients")
    op.drop_index("ix_professionals_organization_id", table_name="professionals")
    op.drop_table("professionals")
    op.drop_table("organizations")
