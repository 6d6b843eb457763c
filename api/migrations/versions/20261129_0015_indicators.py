"""Public indicators: daily aggregate cells, deposit-delay histograms, and the runs' journal.

Revision ID: 0015_indicators
Revises: 0014_agenda_revisions
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0015_indicators"
down_revision = "0014_agenda_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_cells",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(40), nullable=False),
        sa.Column("dimension", sa.String(40), nullable=False),
        sa.Column("organization", sa.String(36), nullable=False),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("day", "indicator", "dimension", "organization", name="pk_indicator_cells"),
    )
    op.create_table(
        "indicator_delays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.Column("organization", sa.String(36), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "category", "delay_days", "organization", name="pk_indicator_delays"),
    )
    op.create_table(
        "indicator_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("run_by", sa.String(100), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("cells", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_indicator_runs"),
    )


def downgrade() -> None:
    op.drop_table("indicator_runs")
    op.drop_table("indicator_delays")
    op.drop_table("indicator_cells")
