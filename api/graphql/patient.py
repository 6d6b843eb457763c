"""`Patient`, the root of a space, assembled from the fields of each area.

Each area contributes a `Patient<Area>Fields` mixin; adding an area to the
space means adding its mixin here, and nowhere else. Plugins add theirs
through `api.plugins` (their `patient_fields`), without touching this file.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay

from api import plugins
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

CORE_FIELDS = (
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
)


class PatientNode(relay.Node):
    """How a `Patient` is made from a record and fetched as a node (its `id` field
    is declared on the assembled type)."""

    @classmethod
    def from_record(cls, record: PatientRecord) -> Patient:
        return Patient(
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


def _assembled() -> type[PatientNode]:
    """`Patient`: the core's fields, then the enabled plugins' (decided once per process)."""
    mixins = tuple(mixin for plugin in plugins.active().enabled for mixin in plugin.patient_fields)
    return strawberry.type(
        type(
            "Patient",
            (*CORE_FIELDS, *mixins, PatientNode),
            {"__module__": __name__, "__annotations__": {"id": relay.NodeID[str]}},
        ),
        description="A person's health space: dossier, reimbursements, agenda, messages.",
    )


Patient = _assembled()
