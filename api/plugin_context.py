"""The narrow API a plugin gets: patient data only through the access policy
and the journal, its own tables through its own connections.

`PluginContext` serves a plugin's resolvers (one request, one principal);
`HookContext` serves its hooks (the platform acting on an outbox event, in
the transaction that marks the event done for that plugin). Neither hands
out the request's `Access`, the content keys or another area's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.policy import Action, SpacePart
from api.access.service import SpaceAccess
from api.contents.service import Contents
from api.dossier import service as dossier
from api.errors import Forbidden
from api.graphql.context import Info
from api.identity.principal import Principal
from api.journal.records import AccessAction
from api.profile import service as profile

T = TypeVar("T")


class PluginContext:
    """What a plugin's resolver may do, as the request's principal."""

    def __init__(self, info: Info, plugin: str) -> None:
        self.plugin = plugin
        self._context = info.context
        self._access = info.context.require_access()

    @property
    def principal(self) -> Principal:
        return self._access.principal

    async def open(self, patient_id: uuid.UUID, part: SpacePart, action: Action = Action.READ) -> SpaceAccess:
        """The policy's decision for this space and part: FORBIDDEN when refused."""
        return await self._access.space(patient_id, action, part)

    def journal_read(self, granted: SpaceAccess, what: str, object_id: object | None = None) -> None:
        """Journal a read of the plugin's view of the space (`glycemia:Hba1c`)."""
        self._access.read(granted, self._object_type(what), object_id)

    async def journal_write(
        self,
        connection: AsyncConnection,
        granted: SpaceAccess,
        action: AccessAction,
        what: str,
        object_id: object,
    ) -> None:
        """Journal a change in the transaction that makes it."""
        await self._access.write_entry(connection, granted, action, self._object_type(what), object_id)

    async def measurements(
        self, patient_id: uuid.UUID, kind: str, *, last: int
    ) -> list[profile.MeasurementRecord]:
        """The latest measurements of a kind, newest first (policy checked, journaled)."""
        found, _ = await profile.measurements(self._access, patient_id, kind=kind, limit=last, before=None)
        return found

    async def profile_entries(self, patient_id: uuid.UUID) -> list[profile.EntryRecord]:
        """The medical profile's entries (policy checked, journaled)."""
        return await profile.entries(self._access, patient_id)

    async def visible_documents(self, granted: SpaceAccess, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these documents of the space the principal may read: what a plugin
        derived from a document shows only to those who may read the document (the
        DOCUMENTS part asked here, whatever part `granted` was for), and each one
        shown is journaled as a read of that document."""
        try:
            documents = await self._access.space(granted.patient_id, Action.READ, SpacePart.DOCUMENTS)
        except Forbidden:
            return set()
        visible = await dossier.visible_ids(self._access, documents, list(ids))
        for document_id in sorted(visible):
            self._access.read(documents, "Document", document_id)
        return visible

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection, for the plugin's own tables."""
        async with self._context.database.read() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work for the plugin's own tables (with `journal_write`)."""
        async with self._context.database.session() as session:
            yield await session.connection()

    def loader(self, name: str, factory: Callable[[], T]) -> T:
        """The request's loader of that name, made once per request by `factory`."""
        return self._context.loaders.of_plugin(self.plugin, name, factory)

    def _object_type(self, what: str) -> str:
        return f"{self.plugin}:{what}"


class HookContext:
    """What a plugin's hook may do, as the platform, for one outbox event: write
    its own tables in `connection` (committed with the event's acknowledgement)
    and read the documents the event names."""

    def __init__(self, plugin: str, connection: AsyncConnection, contents: Contents) -> None:
        self.plugin = plugin
        self.connection = connection
        self._contents = contents

    async def document(self, patient_id: uuid.UUID, document_id: uuid.UUID) -> dossier.DocumentContent | None:
        """A document's metadata and content, None when it is gone; read as the
        platform (like text extraction for search), never shown to anyone."""
        return await dossier.content_for_processing(self.connection, self._contents, patient_id, document_id)


async def evidence_documents(
    connection: AsyncConnection, patient_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """For a plugin's agenda evidence: which of these documents may speak for a
    prevention item (nothing still hidden from the patient or the representatives)."""
    return await dossier.evidence_ids(connection, patient_id, list(ids))


def plugin_context(info: Info, plugin: str) -> PluginContext:
    return PluginContext(info, plugin)


__all__ = ["HookContext", "PluginContext", "evidence_documents", "plugin_context"]
