"""E-mail notices: the address a patient wants notices at, and when the outbox
tries an event again after a failed delivery.

Revision ID: 0017_email_notices
Revises: 0016_search_in_one_space
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0017_email_notices"
down_revision = "0016_search_in_one_space"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_preferences") as table:
        table.add_column(sa.Column("notification_email", sa.String(254), nullable=True))
    with op.batch_alter_table("outbox_events") as table:
        table.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_events") as table:
        table.drop_column("next_attempt_at")
    with op.batch_alter_table("access_preferences") as table:
        table.drop_column("notification_email")
