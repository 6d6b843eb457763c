"""Vaccinations read from a note go with it: the foreign key to documents
cascades on delete (the patient may delete a note the hook has read).

Revision ID: vaccination_0002
Revises: vaccination_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "vaccination_0002"
down_revision = "vaccination_0001"
branch_labels = None
depends_on = None

FK = "fk_vaccination_records_document_id_documents"


def _document_fk(ondelete: str | None) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table there; PostgreSQL alters it.
    with op.batch_alter_table("vaccination_records") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "documents", ["document_id"], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _document_fk("CASCADE")


def downgrade() -> None:
    _document_fk(None)
