"""What an import brought in: each source resource once per space, so that
importing a file again adds nothing."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow


class ImportedResource(Base):
    __tablename__ = "imported_resources"

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    # "<resourceType>/<identifier or id or digest>" of the source resource.
    source_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
