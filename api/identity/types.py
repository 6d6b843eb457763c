"""GraphQL types of identity: the viewer, who the token speaks for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.access.service import openable_spaces
from api.directory import service as directory
from api.directory.types import Professional
from api.graphql.context import Info
from api.graphql.enums import PrincipalKind
from api.graphql.permissions import any_patient_scope, first_party_only
from api.identity.principal import Principal

if TYPE_CHECKING:
    from api.graphql.patient import Patient
    from api.journal.types import AccessLogEntryConnection

PatientRef = Annotated["Patient", strawberry.lazy("api.graphql.patient")]


@strawberry.type(description="Who the token speaks for.")
class Viewer:
    principal: strawberry.Private[Principal]
    kind: PrincipalKind = strawberry.field(
        description="Patient, representative, professional, app or operator."
    )
    display_name: str = strawberry.field(description="The name of the person behind the token.")
    scopes: list[str] = strawberry.field(description="Scopes granted to the token.")
    client_id: str = strawberry.field(description="The client (software or app) the token was issued to.")

    @strawberry.field(
        description="Spaces this principal may open: own, children, people it is caregiver of.",
        **any_patient_scope(),
    )
    async def patients(self, info: Info) -> list[PatientRef] | None:
        from api.graphql.patient import Patient

        access = info.context.require_access()
        spaces = await openable_spaces(access)
        records = await directory.read_patients(access, info.context.loaders.patient_by_id, spaces)
        return [Patient.from_record(record) for record in records]

    @strawberry.field(
        description="The journal entries of this principal's own actions, in every space, newest first.",
        **first_party_only(),
    )
    async def access_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[AccessLogEntryConnection, strawberry.lazy("api.journal.types")] | None:
        from api.journal.types import own_access_log

        return await own_access_log(info, first, after)

    @strawberry.field(description="The professional behind the token, for professionals.")
    async def professional(self, info: Info) -> Professional | None:
        if self.principal.professional_id is None:
            return None
        access = info.context.require_access()
        loader = info.context.loaders.professional_by_id
        record = await directory.read_professional(access, loader, self.principal.professional_id)
        return Professional.from_record(record) if record else None


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="Who the token speaks for; UNAUTHENTICATED without a token.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.require_principal()
        return Viewer(
            principal=principal,
            kind=principal.kind,
            display_name=principal.display_name,
            scopes=sorted(principal.scopes),
            client_id=principal.client_id,
        )
