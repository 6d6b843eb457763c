"""GraphQL of interoperability: the link to take the whole space along."""

from __future__ import annotations

import strawberry

from api.directory.types import PatientFields
from api.graphql.context import Info
from api.graphql.permissions import first_party_only
from api.identity.scopes import Scope
from api.interop import service


@strawberry.type
class PatientInteropFields(PatientFields):
    """The interoperability part of `Patient`."""

    @strawberry.field(
        description="A link (valid 5 minutes) to the whole space as one FHIR R4 Bundle: identity, profile, "
        "measurements and every document the caller sees, contents included. For the patient and "
        "their legal representatives; the export is journaled.",
        **first_party_only(Scope.DOCUMENTS_READ, Scope.PROFILE_READ),
    )
    async def fhir_export_url(self, info: Info) -> str | None:
        return await service.export_url(
            info.context.require_access(), info.context.content_links, self.record.id
        )
