"""GraphQL of connected apps: what the patient authorized, and disconnecting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.catalogue import service as catalogue
from api.catalogue.types import CatalogueApp
from api.directory import service as directory
from api.directory.types import PatientFields
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.ids import decode_id
from api.graphql.payloads import UserError
from api.graphql.permissions import first_party_only
from api.oauth import admin, service

if TYPE_CHECKING:
    from api.access.types import PatientPayload


@strawberry.type(description="An app the patient connected to this space.")
class AppAuthorization:
    client_id: strawberry.Private[str]
    granted_scopes: list[str] = strawberry.field(description="What the patient granted.")
    granted_at: datetime = strawberry.field(description="When.")
    last_used_at: datetime | None = strawberry.field(description="When the app last obtained a token.")

    @strawberry.field(description="The app (null if it left the catalogue).")
    async def app(self, info: Info) -> CatalogueApp | None:
        record = await catalogue.app_by_client_id(
            info.context.database, self.client_id, access=info.context.access
        )
        return CatalogueApp.from_record(record) if record else None


@strawberry.type
class PatientAppFields(PatientFields):
    """The connected-apps part of `Patient`."""

    @strawberry.field(
        description="Apps connected to this space, with the scopes granted. "
        "Patient and legal representatives.",
        **first_party_only(),
    )
    async def connected_apps(self, info: Info) -> list[AppAuthorization] | None:
        apps = await service.connected_apps(info.context.require_access(), self.record.id)
        return [
            AppAuthorization(
                client_id=app.client_id,
                granted_scopes=app.scopes,
                granted_at=app.granted_at,
                last_used_at=app.last_used_at,
            )
            for app in apps
        ]


def _space(acting_for: uuid.UUID | None, patient_id: strawberry.ID | None) -> uuid.UUID:
    """The space named, or the one the token acts for."""
    if patient_id is not None:
        return decode_id(patient_id, "Patient")[1]
    if acting_for is None:
        raise BadUserInput("Name the space: patientId.", field="patientId")
    return acting_for


@strawberry.type(description="A client secret, shown this once.")
class ClientSecretPayload:
    client_id: str | None = strawberry.field(description="The app.")
    client_secret: str | None = strawberry.field(
        description="The new secret: shown once, stored hashed; the previous one no longer works."
    )
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class OAuthMutation:
    @strawberry.mutation(
        description="Disconnect an app from a space: every token of its grants stops working at once.",
        **first_party_only(),
    )
    async def revoke_app(
        self, info: Info, client_id: str, patient_id: strawberry.ID | None = None
    ) -> Annotated[PatientPayload, strawberry.lazy("api.access.types")]:
        from api.access.types import PatientPayload
        from api.graphql.patient import Patient

        access = info.context.require_access()
        try:
            space = _space(access.principal.acting_for, patient_id)
            await service.revoke_app(access, space, client_id)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        record = await directory.read_patient(access, info.context.loaders.patient_by_id, space)
        return PatientPayload(patient=Patient.from_record(record), user_errors=[])

    @strawberry.mutation(
        description="Operators only: issues a new secret to a confidential app, shown once.",
        **first_party_only(),
    )
    async def rotate_client_secret(self, info: Info, client_id: str) -> ClientSecretPayload:
        try:
            secret = await admin.issue_app_secret(info.context.require_access(), client_id)
        except BadUserInput as error:
            return ClientSecretPayload(
                client_id=None, client_secret=None, user_errors=UserError.from_error(error)
            )
        return ClientSecretPayload(client_id=client_id, client_secret=secret, user_errors=[])
