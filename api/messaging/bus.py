"""How a new message reaches the subscribers of its space, in this process and
in the others: PostgreSQL's LISTEN/NOTIFY across API processes; in-process
queues on SQLite (one process). A notice carries ids only, never content:
each subscriber reads the message under its own rights."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from sqlalchemy import text

from api.db import Database

CHANNEL = "espace_messages"
QUEUE_SIZE = 100  # a subscriber this far behind loses the oldest notices, never blocks senders
logger = logging.getLogger(__name__)


class MessageBus:
    """In-process delivery; the base of the PostgreSQL bus."""

    def __init__(self) -> None:
        self._queues: dict[uuid.UUID, set[asyncio.Queue[uuid.UUID]]] = {}

    async def publish(self, patient_id: uuid.UUID, message_id: uuid.UUID) -> None:
        self._deliver(patient_id, message_id)

    def _deliver(self, patient_id: uuid.UUID, message_id: uuid.UUID) -> None:
        for queue in self._queues.get(patient_id, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message_id)

    async def subscribe(self, patient_id: uuid.UUID) -> AsyncIterator[uuid.UUID]:
        """The ids of new messages of a space, as they come, until the caller stops."""
        await self._listening()
        queue: asyncio.Queue[uuid.UUID] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(patient_id, set()).add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            subscribers = self._queues.get(patient_id, set())
            subscribers.discard(queue)
            if not subscribers:
                self._queues.pop(patient_id, None)

    async def _listening(self) -> None:
        """In-process: nothing to set up."""

    async def close(self) -> None:
        """In-process: nothing to release."""


class PostgresMessageBus(MessageBus):
    """NOTIFY on publish; one LISTEN connection per process feeds the local queues."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self._database = database
        self._listener: Any = None
        self._lock = asyncio.Lock()

    async def publish(self, patient_id: uuid.UUID, message_id: uuid.UUID) -> None:
        async with self._database.engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": f"{patient_id}:{message_id}"},
            )

    async def _listening(self) -> None:
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            url = self._database.engine.url.set(drivername="postgresql")
            self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._listener.add_listener(CHANNEL, self._on_notice)

    def _on_notice(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        try:
            patient, message = payload.split(":")
            self._deliver(uuid.UUID(patient), uuid.UUID(message))
        except ValueError:
            logger.warning("ignored a malformed notice on %s", channel)

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


def bus_for(database: Database) -> MessageBus:
    return MessageBus() if database.is_sqlite else PostgresMessageBus(database)
