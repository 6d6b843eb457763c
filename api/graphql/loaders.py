"""Every dataloader of a request, one attribute per loader, built fresh per request."""

from __future__ import annotations

from dataclasses import dataclass

from api.db import Database
from api.directory.loaders import (
    OrganizationByIdLoader,
    PatientByIdLoader,
    ProfessionalByIdLoader,
)


@dataclass(frozen=True, slots=True)
class Loaders:
    patient_by_id: PatientByIdLoader
    professional_by_id: ProfessionalByIdLoader
    organization_by_id: OrganizationByIdLoader

    @classmethod
    def create(cls, database: Database) -> Loaders:
        organizations = OrganizationByIdLoader(database)
        return cls(
            patient_by_id=PatientByIdLoader(database),
            professional_by_id=ProfessionalByIdLoader(database, organizations),
            organization_by_id=organizations,
        )
