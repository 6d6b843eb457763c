"""Statement lines of the health insurance, one row per line, money in cents."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class CareCategory(StrEnum):
    CONSULTATION = "CONSULTATION"
    PHARMACY = "PHARMACY"
    BIOLOGY = "BIOLOGY"
    IMAGING = "IMAGING"
    HOSPITAL = "HOSPITAL"
    PARAMEDICAL = "PARAMEDICAL"
    DENTAL = "DENTAL"
    OPTICAL = "OPTICAL"


class Reimbursement(Base):
    __tablename__ = "reimbursements"
    __table_args__ = (Index("ix_reimbursements_patient_care_date", "patient_id", "care_date", "id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The insurer's statement line identifier: an import adds a line once.
    line_id: Mapped[str] = mapped_column(String(64), unique=True)
    care_date: Mapped[date] = mapped_column(Date)
    act_code: Mapped[str] = mapped_column(String(16))  # CCAM or NGAP
    act_label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    professional_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    professional_name: Mapped[str | None] = mapped_column(String(200))
    charged_cents: Mapped[int] = mapped_column(BigInteger)
    base_cents: Mapped[int] = mapped_column(BigInteger)
    rate_percent: Mapped[int] = mapped_column(Integer)
    reimbursed_cents: Mapped[int] = mapped_column(BigInteger)
    complementary_cents: Mapped[int] = mapped_column(BigInteger)
    participation_forfaitaire_cents: Mapped[int] = mapped_column(BigInteger)
    franchise_cents: Mapped[int] = mapped_column(BigInteger)
    out_of_pocket_cents: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date | None] = mapped_column(Date)
    # Care a minor keeps from their legal representatives (DOMAIN.md: withheld from them).
    hidden_from_representatives: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
