"""What an import brought in: each source resource once per space, so that
importing a file again adds nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow


class ImportedResource(Base):
    __tablename__ = "imported_resources"
    __table_args__ = (Index("ix_imported_resources_patient_reference", "patient_id", "source_reference"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    # "<resourceType>/<identifier or id or digest>" of the source resource.
    source_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    # The source's reference to it (fullUrl or Type/id): how a later file's new version finds it.
    source_reference: Mapped[str | None] = mapped_column(String(500))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
