"""The journal's tables. No code path updates or deletes an entry; on both
dialects a trigger refuses it too (see the migration)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_patient_at", "patient_id", "at"),
        # An actor's own entries, newest first (ids are time-ordered).
        Index("ix_journal_entries_actor", "actor_account_id", "id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    actor_name: Mapped[str] = mapped_column(String(220))
    professional_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    profession: Mapped[str | None] = mapped_column(String(40))
    organization_name: Mapped[str | None] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(24))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    emergency: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalHead(Base):
    """The last entry of each space's chain: locked to append, compared to detect a cut tail."""

    __tablename__ = "journal_heads"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


class OutboxEvent(Base):
    """A notification to deliver, written in the transaction of what caused it."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(
            "ix_outbox_events_pending",
            "created_at",
            postgresql_where=text("delivered_at IS NULL"),
            sqlite_where=text("delivered_at IS NULL"),
        ),
        # Plugins' hooks read the kinds they hook in order of creation.
        Index("ix_outbox_events_kind_created", "kind", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # After a failed delivery, not tried again before this (backing off).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HookState(Base):
    """A plugin's floor: every event it hooks that is older was handled (or parked)."""

    __tablename__ = "plugin_hook_states"

    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    floor_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HookRun(Base):
    """One event as one plugin handled it: DONE, or FAILED with its attempts and error
    (parked once the attempts run out, for `espace plugins run-hooks --retry-parked`)."""

    __tablename__ = "plugin_hook_runs"
    __table_args__ = (Index("ix_plugin_hook_runs_plugin_created", "plugin", "event_created_at"),)

    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
