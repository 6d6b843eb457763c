"""Plain, immutable rows of the directory as the rest of the service sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class PatientRecord:
    id: uuid.UUID
    ins: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    status: str

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class ProfessionalRecord:
    id: uuid.UUID
    rpps: str | None
    title: str | None
    given_name: str
    family_name: str
    profession: str
    specialty: str | None
    organization_id: uuid.UUID | None

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}"
        return f"{self.title} {name}" if self.title else name


@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    id: uuid.UUID
    name: str
    kind: str
    finess: str | None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A login and the one person behind it, with the name to show."""

    id: uuid.UUID
    handle: str
    patient_id: uuid.UUID | None
    professional_id: uuid.UUID | None
    operator_id: uuid.UUID | None
    display_name: str
    profession: str | None = None
    organization_name: str | None = None
    emergency_regulation: bool = False
    organization_id: uuid.UUID | None = None
