"""Tables of the access policy: care relationships, blocks, representations,
emergency accesses and each patient's access preferences.

Every table is owned by a space and carries patient_id first in its primary
key, so that it shards with the space.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class CareRole(StrEnum):
    """How a professional joined the care team."""

    MEDECIN_TRAITANT = "MEDECIN_TRAITANT"
    DECLARED_BY_PATIENT = "DECLARED_BY_PATIENT"
    SELF_DECLARED = "SELF_DECLARED"  # by the professional, with the patient's consent


class RepresentationKind(StrEnum):
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"  # parent of a minor, guardian of a protected adult
    CAREGIVER = "CAREGIVER"  # proche aidant: the parts the patient chose, until expiry


class CareRelationship(Base):
    __tablename__ = "care_relationships"
    __table_args__ = (
        # One médecin traitant per space.
        Index(
            "uq_care_relationships_medecin_traitant",
            "patient_id",
            unique=True,
            postgresql_where=text("role = 'MEDECIN_TRAITANT'"),
            sqlite_where=text("role = 'MEDECIN_TRAITANT'"),
        ),
        Index("ix_care_relationships_professional_id", "professional_id"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("professionals.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(24))
    since: Mapped[date] = mapped_column(Date)
    declared_by_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    consent_statement: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Block(Base):
    """A professional the patient refuses: no access at all, emergency included."""

    __tablename__ = "blocks"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("professionals.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Representation(Base):
    """`representative_id` (a patient record: every person has a space) may open `patient_id`."""

    __tablename__ = "representations"
    __table_args__ = (Index("ix_representations_representative_id", "representative_id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    representative_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    # Space-separated SpacePart values a caregiver may read; empty for legal representatives (all).
    parts: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmergencyAccess(Base):
    """A professional's emergency opening of a space (bris de glace), for a limited time."""

    __tablename__ = "emergency_accesses"
    __table_args__ = (
        Index("ix_emergency_accesses_professional", "patient_id", "professional_id", "expires_at"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    professional_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("professionals.id"))
    reason: Mapped[str] = mapped_column(Text)
    regulation: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessPreferences(Base):
    """The patient's choices about access; no row means the defaults."""

    __tablename__ = "access_preferences"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    refuses_emergency_access: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_new_professional: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_new_document: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where notices go by e-mail (never what they are about: see api/notifications).
    notification_email: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpaceVisitor(Base):
    """The first access of each professional to a space, to notify the patient once."""

    __tablename__ = "space_visitors"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    first_access_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
