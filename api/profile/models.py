"""Tables of the medical profile, owned by the space."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class EntryKind(StrEnum):
    CONDITION = "CONDITION"
    TREATMENT = "TREATMENT"
    ALLERGY = "ALLERGY"
    FAMILY_HISTORY = "FAMILY_HISTORY"
    VACCINATION = "VACCINATION"
    ADVANCE_DIRECTIVE = "ADVANCE_DIRECTIVE"
    PERSON_TO_NOTIFY = "PERSON_TO_NOTIFY"


class ProfileEntry(Base):
    __tablename__ = "profile_entries"
    __table_args__ = (Index("ix_profile_entries_patient_kind", "patient_id", "kind"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(24))
    label: Mapped[str] = mapped_column(String(300))
    details: Mapped[str | None] = mapped_column(Text)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    entered_by_kind: Mapped[str] = mapped_column(String(16))
    entered_by_name: Mapped[str] = mapped_column(String(220))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_patient_kind_at", "patient_id", "kind", "measured_at"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))  # UCUM
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entered_by_kind: Mapped[str] = mapped_column(String(16))
    entered_by_name: Mapped[str] = mapped_column(String(220))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
