"""The agenda's tables: items (prevention proposals, appointments, reminders),
the state of each space's last computation, and the private calendar feeds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class ItemKind(StrEnum):
    SCREENING = "SCREENING"
    VACCINATION = "VACCINATION"
    CHECKUP = "CHECKUP"
    APPOINTMENT = "APPOINTMENT"
    REMINDER = "REMINDER"


class ItemStatus(StrEnum):
    DUE = "DUE"
    UPCOMING = "UPCOMING"
    DONE = "DONE"
    DISMISSED = "DISMISSED"
    SNOOZED = "SNOOZED"


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (
        # One row per occurrence: recomputing never duplicates an item.
        UniqueConstraint("patient_id", "key", name="uq_agenda_items_patient_key"),
        Index("ix_agenda_items_patient_day", "patient_id", "day", "id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # A rule's occurrence key (e.g. diabetes-hba1c@2026-09-10), or "own:<id>" for the patient's own items.
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    # The day it sorts on: the due date, or the Paris day an appointment starts.
    day: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    next_due: Mapped[date | None] = mapped_column(Date)
    # What made it done (the evidence's row), while it is still there to be seen.
    done_ref: Mapped[str | None] = mapped_column(String(64))
    rule_code: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(300))
    # When the patient was reminded that it is due (the outbox event), if ever.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient decided its status (done, dismissed, snoozed): recomputing keeps it.
    decided_by_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgendaState(Base):
    """When a space's prevention items were last computed, and from what: the
    day, the programmes' version (`inputs_mark`) and the revision of what the
    rules read. Whatever changes that (a deposit, a measurement, an import...)
    bumps `inputs_revision` in its own transaction (api/agenda/staleness.py),
    so a read knows in one statement whether the items are current."""

    __tablename__ = "agenda_states"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    computed_day: Mapped[date] = mapped_column(Date)
    inputs_mark: Mapped[str] = mapped_column(String(64))
    inputs_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    computed_revision: Mapped[int] = mapped_column(Integer, default=-1, server_default="-1")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderPreference(Base):
    """The kinds of item a patient wants no reminder for (DOMAIN.md: refusable at any time)."""

    __tablename__ = "agenda_reminder_preferences"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    refused_kinds: Mapped[str] = mapped_column(String(100), default="")  # space-separated ItemKind values
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgendaFeed(Base):
    """A space's private iCalendar link: only a digest of its secret is kept."""

    __tablename__ = "agenda_feeds"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Who made the link: it works while they may still act for the space.
    created_by_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
