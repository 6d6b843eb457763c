"""The catalogue of apps and their vetting history.

Revision ID: 0003_catalogue
Revises: 0002_trust_core
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0003_catalogue"
down_revision = "0002_trust_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_apps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("publisher_name", sa.String(200), nullable=False),
        sa.Column("publisher_siren", sa.String(9), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("homepage", sa.String(500), nullable=False),
        sa.Column("privacy_policy_url", sa.String(500), nullable=False),
        sa.Column("client_type", sa.String(12), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("stores_health_data", sa.Boolean(), nullable=False),
        sa.Column("hosting_certification", sa.String(200), nullable=True),
        sa.Column("standards", sa.JSON(), nullable=False),
        sa.Column("requested_scopes", sa.JSON(), nullable=False),
        sa.Column("vetted_scopes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("referenced_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_apps"),
        sa.UniqueConstraint("client_id", name="uq_catalogue_apps_client_id"),
    )
    op.create_index("ix_catalogue_apps_status_name", "catalogue_apps", ["status", "name"])
    op.create_table(
        "app_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("app_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(220), nullable=False),
        sa.Column("decision", sa.String(24), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["catalogue_apps.id"], name="fk_app_reviews_app_id_catalogue_apps"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_app_reviews"),
    )
    op.create_index("ix_app_reviews_app_at", "app_reviews", ["app_id", "at"])


def downgrade() -> None:
    op.drop_table("app_reviews")
    op.drop_table("catalogue_apps")
