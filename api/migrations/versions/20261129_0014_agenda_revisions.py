"""The agenda knows in one statement whether its items are current: a revision
of what the rules read, bumped by each change, beside the one computed from.

Revision ID: 0014_agenda_revisions
Revises: 0013_plugin_hooks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_agenda_revisions"
down_revision = "0013_plugin_hooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agenda_states") as batch:
        batch.add_column(sa.Column("inputs_revision", sa.Integer(), nullable=False, server_default="0"))
        # -1: every space computed before this revision is recomputed at its next read.
        batch.add_column(sa.Column("computed_revision", sa.Integer(), nullable=False, server_default="-1"))


def downgrade() -> None:
    with op.batch_alter_table("agenda_states") as batch:
        batch.drop_column("computed_revision")
        batch.drop_column("inputs_revision")
