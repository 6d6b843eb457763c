"""Reads of a request, buffered and written once at its end.

Journaling then costs one transaction per request, whatever the number of
objects read; if it cannot be written, the view withholds the data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import Database
from api.journal import service
from api.journal.records import JournalRecord

# Work done in the journal's transaction after the entries are appended.
AfterAppend = Callable[[AsyncConnection, list[JournalRecord]], Awaitable[None]]


class JournalBuffer:
    def __init__(self) -> None:
        self._records: list[JournalRecord] = []
        self._seen: set[tuple[object, ...]] = set()

    def add(self, record: JournalRecord) -> None:
        """Keep one entry per object and action in a request."""
        key = (
            record.patient_id,
            record.action,
            record.object_type,
            record.object_id,
            record.actor_account_id,
        )
        if key not in self._seen:
            self._seen.add(key)
            self._records.append(record)

    @property
    def records(self) -> list[JournalRecord]:
        return list(self._records)

    async def flush(self, database: Database, *, then: AfterAppend | None = None) -> None:
        """Write the buffered entries in one transaction (with what `then` adds to
        it), then forget them."""
        if not self._records:
            return
        records, self._records, self._seen = self._records, [], set()
        async with database.engine.begin() as connection:
            await service.append(connection, records)
            if then is not None:
                await then(connection, records)
