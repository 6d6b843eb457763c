"""Interoperability operations that GraphQL and the command line share."""

from __future__ import annotations

import uuid
from typing import BinaryIO

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.contents.service import Contents
from api.db import Database, utcnow
from api.dossier.links import ContentLinks
from api.identity.principal import Principal, PrincipalKind
from api.identity.scopes import all_scopes
from api.interop.export import SpaceExport, open_export
from api.journal import service as journal
from api.journal.records import AccessAction, JournalRecord


async def export_url(access: Access, links: ContentLinks, patient_id: uuid.UUID) -> str:
    """A signed link to the space's export; FORBIDDEN now rather than at download
    for whoever may not export (the link is checked again when used)."""
    await access.space(patient_id, Action.EXPORT, SpacePart.DOCUMENTS)
    return links.export_url(access.principal, patient_id)


# The platform itself, as the journal names it when operators export on request.
PLATFORM_ACCOUNT = uuid.UUID(int=0)
PLATFORM_CLIENT = "espace-cli"


def _as_the_patient(patient_id: uuid.UUID) -> Principal:
    """The command line exports what the patient would: nothing still hidden from them."""
    return Principal(
        kind=PrincipalKind.PATIENT,
        account_id=PLATFORM_ACCOUNT,
        display_name="Espace Santé",
        client_id=PLATFORM_CLIENT,
        scopes=all_scopes(),
        token_id="command-line",  # noqa: S106 - a label, not a secret
        patient_id=patient_id,
        acting_for=patient_id,
    )


async def export_to(
    database: Database, contents: Contents, patient_id: uuid.UUID, output: BinaryIO
) -> SpaceExport:
    """`espace export`: a portability request handled by the operators. The
    space as its patient sees it, and an entry in the patient's journal saying
    the platform exported it."""
    access = Access(_as_the_patient(patient_id), database)
    export = await open_export(access, contents, patient_id)
    async with database.session() as session:
        await journal.append(
            await session.connection(),
            [
                JournalRecord(
                    patient_id=patient_id,
                    at=utcnow(),
                    actor_kind=PrincipalKind.OPERATOR.value,
                    actor_account_id=PLATFORM_ACCOUNT,
                    actor_name="Espace Santé (export on request, command line)",
                    client_id=PLATFORM_CLIENT,
                    action=AccessAction.EXPORT,
                    object_type="Patient",
                    object_id=str(patient_id),
                )
            ],
        )
    async for chunk in export.chunks():
        output.write(chunk)
    return export
