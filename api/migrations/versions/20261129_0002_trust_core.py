"""Trust core: care relationships, blocks, representations, emergency access,
access preferences, the hash-chained journal, the outbox, revoked tokens.

Revision ID: 0002_trust_core
Revises: 0001_directory
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db import UTCDateTime

revision = "0002_trust_core"
down_revision = "0001_directory"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION journal_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the access journal is append-only';
END $$
"""


def _patient_fk(table: str, column: str = "patient_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["patients.id"], name=f"fk_{table}_{column}_patients")


def _professional_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["professional_id"], ["professionals.id"], name=f"fk_{table}_professional_id_professionals"
    )


def upgrade() -> None:
    with op.batch_alter_table("professionals") as batch:
        batch.add_column(
            sa.Column("emergency_regulation", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    op.create_table(
        "care_relationships",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("declared_by_account_id", sa.Uuid(), nullable=False),
        sa.Column("consent_statement", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _patient_fk("care_relationships"),
        _professional_fk("care_relationships"),
        sa.PrimaryKeyConstraint("patient_id", "professional_id", name="pk_care_relationships"),
    )
    op.create_index(
        "uq_care_relationships_medecin_traitant",
        "care_relationships",
        ["patient_id"],
        unique=True,
        postgresql_where=sa.text("role = 'MEDECIN_TRAITANT'"),
        sqlite_where=sa.text("role = 'MEDECIN_TRAITANT'"),
    )
    op.create_index("ix_care_relationships_professional_id", "care_relationships", ["professional_id"])

    op.create_table(
        "blocks",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _patient_fk("blocks"),
        _professional_fk("blocks"),
        sa.PrimaryKeyConstraint("patient_id", "professional_id", name="pk_blocks"),
    )

    op.create_table(
        "representations",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("representative_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("parts", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        _patient_fk("representations"),
        _patient_fk("representations", "representative_id"),
        sa.PrimaryKeyConstraint("patient_id", "representative_id", name="pk_representations"),
    )
    op.create_index("ix_representations_representative_id", "representations", ["representative_id"])

    op.create_table(
        "emergency_accesses",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("regulation", sa.Boolean(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        _patient_fk("emergency_accesses"),
        _professional_fk("emergency_accesses"),
        sa.PrimaryKeyConstraint("patient_id", "id", name="pk_emergency_accesses"),
    )
    op.create_index(
        "ix_emergency_accesses_professional",
        "emergency_accesses",
        ["patient_id", "professional_id", "expires_at"],
    )

    op.create_table(
        "access_preferences",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("refuses_emergency_access", sa.Boolean(), nullable=False),
        sa.Column("notify_new_professional", sa.Boolean(), nullable=False),
        sa.Column("notify_new_document", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        _patient_fk("access_preferences"),
        sa.PrimaryKeyConstraint("patient_id", name="pk_access_preferences"),
    )

    op.create_table(
        "space_visitors",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=False),
        sa.Column("first_access_at", UTCDateTime(), nullable=False),
        _patient_fk("space_visitors"),
        sa.PrimaryKeyConstraint("patient_id", "professional_id", name="pk_space_visitors"),
    )

    op.create_table(
        "journal_entries",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("seq", BIGINT, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=False),
        sa.Column("actor_name", sa.String(220), nullable=False),
        sa.Column("professional_id", sa.Uuid(), nullable=True),
        sa.Column("profession", sa.String(40), nullable=True),
        sa.Column("organization_name", sa.String(200), nullable=True),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", "seq", name="pk_journal_entries"),
        sa.UniqueConstraint("id", name="uq_journal_entries_id"),
    )
    op.create_index("ix_journal_entries_patient_at", "journal_entries", ["patient_id", "at"])
    op.create_index("ix_journal_entries_actor", "journal_entries", ["actor_account_id", "id"])

    op.create_table(
        "journal_heads",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", BIGINT, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name="pk_journal_heads"),
    )

    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_events"),
    )
    op.create_index(
        "ix_outbox_events_pending",
        "outbox_events",
        ["created_at"],
        postgresql_where=sa.text("delivered_at IS NULL"),
        sqlite_where=sa.text("delivered_at IS NULL"),
    )

    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("jti", name="pk_revoked_tokens"),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])

    _append_only_triggers()


def _append_only_triggers() -> None:
    """A second wall behind the code: the database itself refuses to change an entry."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries "
            "FOR EACH ROW EXECUTE FUNCTION journal_entries_append_only()"
        )
        op.execute(
            "CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_append_only()"
        )
        # A head only moves forward: never deleted, so a cut chain cannot pass for an empty one.
        op.execute(
            "CREATE TRIGGER journal_heads_kept BEFORE DELETE ON journal_heads "
            "FOR EACH ROW EXECUTE FUNCTION journal_entries_append_only()"
        )
        op.execute(
            "CREATE TRIGGER journal_heads_no_truncate BEFORE TRUNCATE ON journal_heads "
            "FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER journal_entries_no_{event.lower()} BEFORE {event} ON journal_entries "
                "BEGIN SELECT RAISE(ABORT, 'the access journal is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER journal_heads_kept BEFORE DELETE ON journal_heads "
            "BEGIN SELECT RAISE(ABORT, 'the access journal is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER journal_entries_append_only ON journal_entries")
        op.execute("DROP TRIGGER journal_entries_no_truncate ON journal_entries")
        op.execute("DROP TRIGGER journal_heads_kept ON journal_heads")
        op.execute("DROP TRIGGER journal_heads_no_truncate ON journal_heads")
        op.execute("DROP FUNCTION journal_entries_append_only()")
    for table in (
        "revoked_tokens",
        "outbox_events",
        "journal_heads",
        "journal_entries",
        "space_visitors",
        "access_preferences",
        "emergency_accesses",
        "representations",
        "blocks",
        "care_relationships",
    ):
        op.drop_table(table)
    with op.batch_alter_table("professionals") as batch:
        batch.drop_column("emergency_regulation")
