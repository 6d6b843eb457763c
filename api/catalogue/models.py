"""Tables of the catalogue: the apps and every step of their vetting.

Reference data (not owned by a space): replicated on every shard later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class AppStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    UNDER_REVIEW = "UNDER_REVIEW"
    REFERENCED = "REFERENCED"
    SUSPENDED = "SUSPENDED"
    WITHDRAWN = "WITHDRAWN"


class CatalogueApp(Base):
    __tablename__ = "catalogue_apps"
    __table_args__ = (Index("ix_catalogue_apps_status_name", "status", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    publisher_name: Mapped[str] = mapped_column(String(200))
    publisher_siren: Mapped[str] = mapped_column(String(9))
    category: Mapped[str] = mapped_column(String(20))
    description_fr: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    homepage: Mapped[str] = mapped_column(String(500))
    privacy_policy_url: Mapped[str] = mapped_column(String(500))
    client_type: Mapped[str] = mapped_column(String(12))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    contact: Mapped[str] = mapped_column(String(254))
    stores_health_data: Mapped[bool] = mapped_column(Boolean)
    hosting_certification: Mapped[str | None] = mapped_column(String(200))
    standards: Mapped[list[str]] = mapped_column(JSON)
    # What the manifest asks for ([{scope, justification}]) and what operators vetted ([scope]).
    requested_scopes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    vetted_scopes: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=AppStatus.SUBMITTED)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    referenced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppReview(Base):
    """One step of an app's vetting: who, when, from which status to which, and why."""

    __tablename__ = "app_reviews"
    __table_args__ = (Index("ix_app_reviews_app_at", "app_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    app_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("catalogue_apps.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: the manifest sync
    actor_name: Mapped[str] = mapped_column(String(220))
    decision: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text)
