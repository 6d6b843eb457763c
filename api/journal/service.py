"""Writing, reading and verifying the journal.

Appending locks the space's head row first (UPDATE ... RETURNING), so that
concurrent writers to one space queue behind each other and never fork the
chain: on PostgreSQL a row lock, on SQLite the database write lock (write
transactions begin IMMEDIATE, see api.db).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import new_id
from api.journal.models import JournalEntry, JournalHead
from api.journal.records import GENESIS_HASH, AccessAction, JournalRecord, StoredEntry, entry_hash
from api.metrics import JOURNAL_ENTRIES


async def append(connection: AsyncConnection, records: Sequence[JournalRecord]) -> list[StoredEntry]:
    """Chain and insert `records` inside the caller's transaction, space by space."""
    stored: list[StoredEntry] = []
    by_space: dict[uuid.UUID, list[JournalRecord]] = {}
    for record in records:
        by_space.setdefault(record.patient_id, []).append(record)
    for patient_id in sorted(by_space):  # a fixed order: two writers never lock in opposite orders
        stored.extend(await _append_to_space(connection, patient_id, by_space[patient_id]))
    JOURNAL_ENTRIES.inc(len(stored))
    return stored


async def _append_to_space(
    connection: AsyncConnection, patient_id: uuid.UUID, records: list[JournalRecord]
) -> list[StoredEntry]:
    count = len(records)
    head = await _reserve(connection, patient_id, count)
    if head is None:
        # The space's first entry: create its head (a concurrent first writer may
        # win; then nothing is inserted here), then reserve as usual.
        insert_head = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
        await connection.execute(
            insert_head(JournalHead)
            .values(patient_id=patient_id, last_seq=0, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing()
        )
        head = await _reserve(connection, patient_id, count)
        if head is None:
            raise RuntimeError(f"journal head of {patient_id} vanished")
    first_seq, prev_hash = head.last_seq - count + 1, head.last_hash

    entries = []
    for offset, record in enumerate(records):
        entry_id = new_id()
        seq = first_seq + offset
        digest = entry_hash(entry_id, seq, record, prev_hash)
        entries.append(StoredEntry(entry_id, seq, record, prev_hash, digest))
        prev_hash = digest
    await connection.execute(insert(JournalEntry), [_row(entry) for entry in entries])
    await connection.execute(
        update(JournalHead).where(JournalHead.patient_id == patient_id).values(last_hash=prev_hash)
    )
    return entries


async def _reserve(connection: AsyncConnection, patient_id: uuid.UUID, count: int) -> Row[Any] | None:
    """Lock the space's head and reserve `count` sequence numbers; None if it has no head yet."""
    reserved = await connection.execute(
        update(JournalHead)
        .where(JournalHead.patient_id == patient_id)
        .values(last_seq=JournalHead.last_seq + count)
        .returning(JournalHead.last_seq, JournalHead.last_hash)
    )
    return reserved.first()


# totalCount of journal pages counts up to this many entries.
COUNT_CAP = 10_000


def _row(entry: StoredEntry) -> dict[str, object]:
    record = entry.record
    return {
        "patient_id": record.patient_id,
        "seq": entry.seq,
        "id": entry.id,
        "at": record.at,
        "actor_kind": record.actor_kind,
        "actor_account_id": record.actor_account_id,
        "actor_name": record.actor_name,
        "professional_id": record.professional_id,
        "profession": record.profession,
        "organization_name": record.organization_name,
        "client_id": record.client_id,
        "action": str(record.action),
        "object_type": record.object_type,
        "object_id": record.object_id,
        "emergency": record.emergency,
        "reason": record.reason,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def _stored(row: Row[Any]) -> StoredEntry:
    record = JournalRecord(
        patient_id=row.patient_id,
        at=row.at,
        actor_kind=row.actor_kind,
        actor_account_id=row.actor_account_id,
        actor_name=row.actor_name,
        client_id=row.client_id,
        action=AccessAction(row.action),
        object_type=row.object_type,
        object_id=row.object_id,
        emergency=row.emergency,
        reason=row.reason,
        professional_id=row.professional_id,
        profession=row.profession,
        organization_name=row.organization_name,
    )
    return StoredEntry(row.id, row.seq, record, row.prev_hash, row.hash)


@dataclass(frozen=True, slots=True)
class JournalFilter:
    actor_kinds: frozenset[str] = frozenset()
    professional_id: uuid.UUID | None = None
    actor_account_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    emergency_only: bool = False


def _filtered(patient_id: uuid.UUID, criteria: JournalFilter):  # noqa: ANN202 - a SQLAlchemy Select
    query = select(JournalEntry).where(JournalEntry.patient_id == patient_id)
    if criteria.actor_kinds:
        query = query.where(JournalEntry.actor_kind.in_(sorted(criteria.actor_kinds)))
    if criteria.professional_id is not None:
        query = query.where(JournalEntry.professional_id == criteria.professional_id)
    if criteria.actor_account_id is not None:
        query = query.where(JournalEntry.actor_account_id == criteria.actor_account_id)
    if criteria.since is not None:
        query = query.where(JournalEntry.at >= criteria.since)
    if criteria.until is not None:
        query = query.where(JournalEntry.at < criteria.until)
    if criteria.emergency_only:
        query = query.where(JournalEntry.emergency.is_(True))
    return query


async def page(
    connection: AsyncConnection,
    patient_id: uuid.UUID,
    criteria: JournalFilter,
    *,
    limit: int,
    before_seq: int | None = None,
) -> list[StoredEntry]:
    """Newest first; `limit` entries with a sequence number below `before_seq`."""
    query = _filtered(patient_id, criteria)
    if before_seq is not None:
        query = query.where(JournalEntry.seq < before_seq)
    rows = await connection.execute(query.order_by(JournalEntry.seq.desc()).limit(limit))
    return [_stored(row) for row in rows]


async def by_actor(
    connection: AsyncConnection,
    actor_account_id: uuid.UUID,
    *,
    limit: int,
    before_id: uuid.UUID | None = None,
) -> list[StoredEntry]:
    """An actor's own entries across spaces, newest first (ids are time-ordered)."""
    query = select(JournalEntry).where(JournalEntry.actor_account_id == actor_account_id)
    if before_id is not None:
        query = query.where(JournalEntry.id < before_id)
    rows = await connection.execute(query.order_by(JournalEntry.id.desc()).limit(limit))
    return [_stored(row) for row in rows]


async def count_by_actor(connection: AsyncConnection, actor_account_id: uuid.UUID) -> int:
    query = select(JournalEntry.seq).where(JournalEntry.actor_account_id == actor_account_id)
    return await _capped_count(connection, query)


async def _capped_count(connection: AsyncConnection, query: Select[Any]) -> int:
    """Count at most COUNT_CAP rows: a feed's or a SAMU doctor's own journal may
    hold millions, and a page must not count them all."""
    limited = query.limit(COUNT_CAP).subquery()
    return int(await connection.scalar(select(func.count()).select_from(limited)) or 0)


async def count(connection: AsyncConnection, patient_id: uuid.UUID, criteria: JournalFilter) -> int:
    return await _capped_count(
        connection, _filtered(patient_id, criteria).with_only_columns(JournalEntry.seq)
    )


async def entry_by_id(connection: AsyncConnection, entry_id: uuid.UUID) -> StoredEntry | None:
    row = (await connection.execute(select(JournalEntry).where(JournalEntry.id == entry_id))).first()
    return _stored(row) if row else None


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    entries: int
    first_broken_entry_id: uuid.UUID | None = None
    problem: str | None = None


async def _in_order(
    connection: AsyncConnection, patient_id: uuid.UUID, batch: int
) -> AsyncIterator[StoredEntry]:
    after = 0
    while True:
        rows = await connection.execute(
            select(JournalEntry)
            .where(JournalEntry.patient_id == patient_id, JournalEntry.seq > after)
            .order_by(JournalEntry.seq)
            .limit(batch)
        )
        entries = [_stored(row) for row in rows]
        for entry in entries:
            yield entry
        if len(entries) < batch:
            return
        after = entries[-1].seq


async def verify_chain(
    connection: AsyncConnection, patient_id: uuid.UUID, *, batch: int = 1000
) -> ChainReport:
    """Recompute the space's chain: every hash, every link, no gap, up to the head.

    The head is read first, and entries written after it are left for the next
    check: a journal that grows during the check is not mistaken for a cut one.
    """
    head = (
        await connection.execute(
            select(JournalHead.last_seq, JournalHead.last_hash).where(JournalHead.patient_id == patient_id)
        )
    ).first()
    last_seq, last_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    expected_prev, expected_seq, count_ = GENESIS_HASH, 1, 0
    async for entry in _in_order(connection, patient_id, batch):
        if entry.seq > last_seq:
            break
        count_ += 1
        if entry.seq != expected_seq:
            return ChainReport(False, count_, entry.id, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return ChainReport(False, count_, entry.id, "the link to the previous entry is broken")
        if entry_hash(entry.id, entry.seq, entry.record, entry.prev_hash) != entry.hash:
            return ChainReport(False, count_, entry.id, "the entry was altered")
        expected_prev, expected_seq = entry.hash, expected_seq + 1
    if last_seq != expected_seq - 1 or last_hash != expected_prev:
        return ChainReport(False, count_, None, "the latest entries were removed")
    return ChainReport(True, count_)
