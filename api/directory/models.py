"""Tables of the directory. Professionals and organizations are reference data
(replicated on every shard later); a patient row is the root of one space."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class OrganizationKind(StrEnum):
    """The sender sectors of the national figures."""

    PRIVATE_PRACTICE = "PRIVATE_PRACTICE"
    PHARMACY = "PHARMACY"
    LABORATORY = "LABORATORY"
    ESTABLISHMENT = "ESTABLISHMENT"
    MEDICO_SOCIAL = "MEDICO_SOCIAL"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class SpaceStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    finess: Mapped[str | None] = mapped_column(String(9), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Professional(Base):
    __tablename__ = "professionals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    rpps: Mapped[str | None] = mapped_column(String(11), unique=True)
    title: Mapped[str | None] = mapped_column(String(16))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    profession: Mapped[str] = mapped_column(String(40))
    specialty: Mapped[str | None] = mapped_column(String(80))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organizations.id"), index=True
    )
    # An emergency regulation doctor (SAMU, centre 15): may open a space on any call.
    emergency_regulation: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Patient(Base):
    """The holder of a space, identified by INS; `id` is the space's patient_id."""

    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ins: Mapped[str] = mapped_column(String(15), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(10), default=SpaceStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operator(Base):
    """Staff of the service (catalogue vetting, support): never reads patient data."""

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(Base):
    """A login: exactly one of a patient, a professional or an operator.

    A person who is both a patient and a professional has two accounts, as with
    the national identity providers (one for citizens, one for professionals).
    """

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN patient_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN professional_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN operator_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_person",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("patients.id"), unique=True)
    professional_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("professionals.id"), unique=True
    )
    operator_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("operators.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
