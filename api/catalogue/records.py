"""Catalogue apps as the rest of the service sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AppRecord:
    id: uuid.UUID
    client_id: str
    name: str
    publisher_name: str
    publisher_siren: str
    category: str
    description_fr: str
    description_en: str
    homepage: str
    privacy_policy_url: str
    client_type: str
    redirect_uris: list[str]
    requested_scopes: list[dict[str, str]]
    vetted_scopes: list[str]
    status: str
    referenced_at: datetime | None

    @property
    def pending_scopes(self) -> list[str]:
        """Scopes the manifest asks for that operators have not vetted yet."""
        return sorted({entry["scope"] for entry in self.requested_scopes} - set(self.vetted_scopes))

    def justification(self, scope: str) -> str | None:
        return next(
            (entry["justification"] for entry in self.requested_scopes if entry["scope"] == scope), None
        )


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: uuid.UUID
    at: datetime
    actor_name: str
    decision: str
    from_status: str | None
    to_status: str
    scopes: list[str]
    comment: str
