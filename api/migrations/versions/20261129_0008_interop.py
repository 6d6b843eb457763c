"""Interoperability: the source resources each import brought in.

Revision ID: 0008_interop
Revises: 0007_search_stemming
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0008_interop"
down_revision = "0007_search_stemming"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_resources",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("source_key", sa.String(300), nullable=False),
        sa.Column("source_reference", sa.String(500), nullable=True),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_imported_resources_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("patient_id", "source_key", name="pk_imported_resources"),
    )
    op.create_index(
        "ix_imported_resources_patient_reference", "imported_resources", ["patient_id", "source_reference"]
    )


def downgrade() -> None:
    op.drop_table("imported_resources")
