"""The glycemia plugin's tables: HbA1c readings found in lab results, and the
target the care team set for each patient."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class LabReading(Base):
    """One HbA1c value read from a lab result; goes with its document (deleted with it)."""

    __tablename__ = "glycemia_lab_readings"
    __table_args__ = (
        # The same event twice, or the same value twice in one document: one reading.
        UniqueConstraint("document_id", "measured_on", "value", name="uq_glycemia_lab_readings_document_id"),
        Index("ix_glycemia_lab_readings_patient_measured", "patient_id", "measured_on"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("documents.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)  # in percent (NGSP/DCCT)
    unit: Mapped[str] = mapped_column(String(16))  # UCUM, always "%" once stored
    measured_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(8))  # the format it was read from: CDA or FHIR
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Target(Base):
    """The HbA1c target a professional of the care team set (one per patient)."""

    __tablename__ = "glycemia_targets"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    max_percent: Mapped[float] = mapped_column(Float)
    set_by_name: Mapped[str] = mapped_column(String(220))
    set_by_professional_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
