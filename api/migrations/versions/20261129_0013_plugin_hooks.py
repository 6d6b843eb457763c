"""Plugins' hooks: where each plugin stands in the outbox.

Revision ID: 0013_plugin_hooks
Revises: 0012_message_files
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0013_plugin_hooks"
down_revision = "0012_message_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plugin_hook_states",
        sa.Column("plugin", sa.String(40), nullable=False),
        sa.Column("floor_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plugin", name="pk_plugin_hook_states"),
    )
    op.create_table(
        "plugin_hook_runs",
        sa.Column("plugin", sa.String(40), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("plugin", "event_id", name="pk_plugin_hook_runs"),
    )
    op.create_index("ix_plugin_hook_runs_plugin_created", "plugin_hook_runs", ["plugin", "event_created_at"])
    # The relay reads hooked kinds in order of creation.
    op.create_index("ix_outbox_events_kind_created", "outbox_events", ["kind", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_kind_created", table_name="outbox_events")
    op.drop_index("ix_plugin_hook_runs_plugin_created", table_name="plugin_hook_runs")
    op.drop_table("plugin_hook_runs")
    op.drop_table("plugin_hook_states")
