"""Search looks in one space: the index leads with the space (btree_gin), and the
stored vector carries the title's words with weight A, so ranking reads only it.

Revision ID: 0016_search_in_one_space
Revises: 0015_indicators
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0016_search_in_one_space"
down_revision = "0015_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.drop_index("ix_documents_search_vector", table_name="documents")
    if postgres:
        # What each query computed for every match, computed once. At national scale run it
        # in batches of spaces before deploying; here one statement.
        op.execute(
            "UPDATE documents SET search_vector = "
            "setweight(to_tsvector('french', unaccent(title)), 'A') || search_vector "
            "WHERE search_vector IS NOT NULL"
        )
    op.create_index(
        "ix_documents_search_vector", "documents", ["patient_id", "search_vector"], postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_documents_search_vector", table_name="documents")
    op.create_index("ix_documents_search_vector", "documents", ["search_vector"], postgresql_using="gin")
