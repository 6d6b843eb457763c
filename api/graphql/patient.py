"""`Patient`, the root of a space, assembled from the fields of each area.

Each area contributes a `Patient<Area>Fields` mixin; adding an area to the
space means adding its mixin here, and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay

from api.access.types import PatientAccessFields
from api.agenda.types import PatientAgendaFields
from api.directory import service as directory
from api.directory.records import PatientRecord
from api.directory.types import PatientIdentityFields
from api.dossier.types import PatientDossierFields
from api.graphql.context import Info
from api.interop.types import PatientInteropFields
from api.journal.types import PatientJournalFields
from api.messaging.types import PatientMessagingFields
from api.oauth.types import PatientAppFields
from api.profile.types import PatientProfileFields
from api.reimbursements.types import PatientReimbursementFields


@strawberry.type(description="A person's health space: dossier, reimbursements, agenda, messages.")
class Patient(
    PatientIdentityFields,
    PatientDossierFields,
    PatientProfileFields,
    PatientReimbursementFields,
    PatientAgendaFields,
    PatientMessagingFields,
    PatientAccessFields,
    PatientJournalFields,
    PatientAppFields,
    PatientInteropFields,
    relay.Node,
):
    id: relay.NodeID[str]

    @classmethod
    def from_record(cls, record: PatientRecord) -> Patient:
        return cls(
            id=str(record.id),
            display_name=record.display_name,
            birth_date=record.birth_date,
            record=record,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Patient | None]:
        access = info.context.require_access()
        loader = info.context.loaders.patient_by_id
        records = await directory.read_patients(access, loader, [uuid.UUID(i) for i in node_ids])
        return [cls.from_record(record) for record in records]
