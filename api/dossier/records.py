"""Documents as the rest of the service sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from api.access.policy import DocumentFacts


class DocumentStatus(StrEnum):
    CURRENT = "CURRENT"
    REPLACED = "REPLACED"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    patient_id: uuid.UUID
    id: uuid.UUID
    type_code: str
    category: str
    title: str
    service_date: date | None
    deposited_at: datetime
    author_professional_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    depositor_kind: str
    mime_type: str
    file_name: str
    size_bytes: int
    sha256: str
    status: str
    masked_from_professionals: bool
    hidden_from_patient: bool
    hidden_from_representatives: bool
    masked_even_in_emergency: bool
    replaces_id: uuid.UUID | None = None

    @property
    def facts(self) -> DocumentFacts:
        return DocumentFacts(
            category=self.category,
            author_professional_id=self.author_professional_id,
            masked_from_professionals=self.masked_from_professionals,
            hidden_from_patient=self.hidden_from_patient,
            hidden_from_representatives=self.hidden_from_representatives,
            masked_even_in_emergency=self.masked_even_in_emergency,
        )
