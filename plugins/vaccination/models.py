"""The vaccinations read from deposited immunization notes: one row per entry
of a note, so that re-reading the same note changes nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class VaccinationRecord(Base):
    __tablename__ = "vaccination_records"
    __table_args__ = (
        UniqueConstraint("document_id", "position", name="uq_vaccination_records_document_position"),
        Index("ix_vaccination_records_patient_given", "patient_id", "given_on"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Deleted with its note.
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the entry's rank in the note
    vaccine_label: Mapped[str] = mapped_column(String(200))
    vaccine_code: Mapped[str | None] = mapped_column(String(40))
    code_system: Mapped[str | None] = mapped_column(String(20))
    given_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
