"""Reading a space's journal, under the policy: the patient, representatives
(a caregiver if delegated) and the médecin traitant; never apps, never other
professionals."""

from __future__ import annotations

import uuid

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.journal import service
from api.journal.records import StoredEntry
from api.journal.service import ChainReport, JournalFilter


async def access_log_page(
    access: Access, patient_id: uuid.UUID, criteria: JournalFilter, *, limit: int, before_seq: int | None
) -> tuple[list[StoredEntry], int, bool]:
    """A page of entries (newest first), the filtered total, and whether more follow."""
    granted = await access.space(patient_id, Action.READ, SpacePart.JOURNAL)
    async with access.database.read() as connection:
        entries = await service.page(connection, patient_id, criteria, limit=limit + 1, before_seq=before_seq)
        total = await service.count(connection, patient_id, criteria)
    access.read(granted, "AccessLog", patient_id)
    return entries[:limit], total, len(entries) > limit


async def own_entries(
    access: Access, *, limit: int, before_id: uuid.UUID | None
) -> tuple[list[StoredEntry], bool, int]:
    """The entries of the principal's own actions, in every space (DOMAIN.md: each
    actor may read the entries of their own actions). Reading them is not an
    action on any space, so it is not journaled."""
    async with access.database.read() as connection:
        entries = await service.by_actor(
            connection, access.principal.account_id, limit=limit + 1, before_id=before_id
        )
        total = await service.count_by_actor(connection, access.principal.account_id)
    return entries[:limit], len(entries) > limit, total


async def access_log_entry(access: Access, entry_id: uuid.UUID) -> StoredEntry | None:
    """One entry by id, if its space's journal is readable by the principal."""
    async with access.database.read() as connection:
        entry = await service.entry_by_id(connection, entry_id)
    if entry is None:
        return None
    granted = await access.space(entry.record.patient_id, Action.READ, SpacePart.JOURNAL)
    access.read(granted, "AccessLogEntry", entry_id)
    return entry


async def integrity(access: Access, patient_id: uuid.UUID) -> ChainReport:
    granted = await access.space(patient_id, Action.READ, SpacePart.JOURNAL)
    async with access.database.read() as connection:
        report = await service.verify_chain(connection, patient_id)
    access.read(granted, "AccessLogIntegrity", patient_id)
    return report
