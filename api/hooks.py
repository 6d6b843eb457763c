"""The relay of plugins' hooks: outbox events handed to the plugins that hook
them, after the transaction that wrote them has committed, never inside a
request.

A hook's writes and the mark that it handled the event commit in one
transaction: a crash replays the event instead of losing it, and an event
handled is never handled again. A hook that raises is rolled back and tried
again on later runs; after MAX_ATTEMPTS the event is parked (FAILED, with its
error) until `espace plugins run-hooks --retry-parked`.

Transactions commit out of creation order, so a plugin's floor (all it hooks
before it is handled) trails its newest handled event by REORDER_WINDOW, and
events above the floor are matched against the runs rather than skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from api.agenda.staleness import inputs_changed
from api.contents.service import Contents
from api.db import Database, utcnow
from api.journal.models import HookRun, HookState, OutboxEvent
from api.plugin_context import HookContext
from api.plugins import HookEvent, Plugin, active
from api.settings import Settings

logger = logging.getLogger(__name__)

RELAY_LOCK = 0x45535048  # "ESPH": the advisory lock of the hooks' relay
MAX_ATTEMPTS = 5
REORDER_WINDOW = timedelta(hours=1)
DONE = "DONE"
FAILED = "FAILED"
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
_ERROR_CHARS = 2_000


@dataclass(slots=True)
class HookReport:
    handled: int = 0
    failed: int = 0
    parked: int = 0

    def add(self, other: HookReport) -> None:
        self.handled += other.handled
        self.failed += other.failed
        self.parked += other.parked


_EVENT_COLUMNS = (
    OutboxEvent.id,
    OutboxEvent.kind,
    OutboxEvent.patient_id,
    OutboxEvent.payload,
    OutboxEvent.created_at,
)


@dataclass(frozen=True, slots=True)
class _Pending:
    event: HookEvent
    created_at: datetime
    attempts: int


async def run_hooks(
    database: Database,
    contents: Contents,
    *,
    plugins: Iterable[Plugin] | None = None,
    batch: int = 200,
    retry_parked: bool = False,
) -> HookReport:
    """Hand every new event to the hooks of each plugin (the enabled ones by default).
    One relay at a time: when another process holds the relay, this run does nothing."""
    report = HookReport()
    async with _relay(database) as held:
        if not held:
            return report
        for plugin in active().enabled if plugins is None else plugins:
            if plugin.hooks:
                report.add(await _run_plugin(database, contents, plugin, batch, retry_parked=retry_parked))
    return report


@asynccontextmanager
async def _relay(database: Database) -> AsyncIterator[bool]:
    """PostgreSQL: a session advisory lock, so API processes and workers never hand
    one event to a hook twice at once. SQLite serves one process."""
    if database.is_sqlite:
        yield True
        return
    async with database.engine.connect() as connection:
        held = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": RELAY_LOCK}))
        try:
            yield held
        finally:
            if held:
                # A connection already gone (the process stopping) took its lock with it.
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": RELAY_LOCK})


async def _run_plugin(
    database: Database, contents: Contents, plugin: Plugin, batch: int, *, retry_parked: bool
) -> HookReport:
    report = HookReport()
    if retry_parked:
        await _retry_parked(database, contents, plugin, report)
    started = utcnow()
    while True:
        pending = await _pending(database, plugin, batch, tried_since=started)
        succeeded = 0
        for item in pending:
            if await _handle(database, contents, plugin, item, report):
                succeeded += 1
        # A full batch that moved on goes again; one that only failed waits for the next run.
        if len(pending) < batch or succeeded == 0:
            break
    await _raise_floor(database, plugin.name)
    return report


async def _pending(
    database: Database, plugin: Plugin, batch: int, *, tried_since: datetime
) -> list[_Pending]:
    name = plugin.name
    floor = select(HookState.floor_at).where(HookState.plugin == name).scalar_subquery()
    # Done, parked, or failed in this very run: a failure is tried again on a later run.
    settled = exists().where(
        HookRun.plugin == name,
        HookRun.event_id == OutboxEvent.id,
        or_(HookRun.status == DONE, HookRun.attempts >= MAX_ATTEMPTS, HookRun.updated_at >= tried_since),
    )
    attempts = (
        select(HookRun.attempts)
        .where(HookRun.plugin == name, HookRun.event_id == OutboxEvent.id)
        .scalar_subquery()
    )
    query = (
        select(*_EVENT_COLUMNS, func.coalesce(attempts, 0))
        .where(
            OutboxEvent.kind.in_(sorted(plugin.hooks)),
            OutboxEvent.created_at >= func.coalesce(floor, _BEGINNING),
            ~settled,
        )
        .order_by(OutboxEvent.created_at, OutboxEvent.id)
        .limit(batch)
    )
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return [
        _Pending(HookEvent(row[0], row[1], row[2], row[3] or {}), _aware(row[4]), int(row[5])) for row in rows
    ]


async def _handle(
    database: Database, contents: Contents, plugin: Plugin, item: _Pending, report: HookReport
) -> bool:
    hook = plugin.hooks[item.event.kind]
    try:
        async with database.session() as session:
            connection = await session.connection()
            await hook(item.event, HookContext(plugin.name, connection, contents))
            if plugin.evidence and item.event.patient_id is not None:
                # What the hook wrote may be evidence for the agenda's rules.
                await inputs_changed(connection, item.event.patient_id)
            await _mark(connection, plugin.name, item, status=DONE, error=None)
    except Exception as error:  # a plugin's fault is recorded, never the relay's end
        logger.warning("hook of plugin %s failed on event %s", plugin.name, item.event.id, exc_info=True)
        message = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        async with database.session() as session:
            await _mark(await session.connection(), plugin.name, item, status=FAILED, error=message)
        report.failed += 1
        if item.attempts + 1 >= MAX_ATTEMPTS:
            report.parked += 1
        return False
    report.handled += 1
    return True


async def _mark(
    connection: AsyncConnection, plugin: str, item: _Pending, *, status: str, error: str | None
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "attempts": item.attempts + 1,
        "error": error,
        "updated_at": utcnow(),
    }
    upsert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    await connection.execute(
        upsert(HookRun)
        .values(plugin=plugin, event_id=item.event.id, event_created_at=item.created_at, **values)
        # A relay that lost a race never turns another's DONE into FAILED.
        .on_conflict_do_update(
            index_elements=["plugin", "event_id"], set_=values, where=HookRun.status != DONE
        )
    )


async def _raise_floor(database: Database, plugin: str) -> None:
    """Move the floor up to REORDER_WINDOW below the newest handled event, but never
    above an event still to retry; forget the runs below it (parked ones stay)."""
    async with database.session() as session:
        connection = await session.connection()
        newest = await connection.scalar(
            select(func.max(HookRun.event_created_at)).where(HookRun.plugin == plugin, HookRun.status == DONE)
        )
        if newest is None:
            return
        floor = _aware(newest) - REORDER_WINDOW
        retrying = await connection.scalar(
            select(func.min(HookRun.event_created_at)).where(
                HookRun.plugin == plugin, HookRun.status == FAILED, HookRun.attempts < MAX_ATTEMPTS
            )
        )
        if retrying is not None:
            floor = min(floor, _aware(retrying))
        current = await connection.scalar(select(HookState.floor_at).where(HookState.plugin == plugin))
        if current is not None and _aware(current) >= floor:
            return
        upsert = sqlite_insert if database.is_sqlite else pg_insert
        await connection.execute(
            upsert(HookState)
            .values(plugin=plugin, floor_at=floor)
            .on_conflict_do_update(index_elements=["plugin"], set_={"floor_at": floor})
        )
        await connection.execute(
            delete(HookRun).where(
                HookRun.plugin == plugin, HookRun.event_created_at < floor, HookRun.status == DONE
            )
        )


async def _retry_parked(database: Database, contents: Contents, plugin: Plugin, report: HookReport) -> None:
    """One more try for each parked event; parked again if it fails again."""
    async with database.read() as connection:
        rows = (
            await connection.execute(
                select(*_EVENT_COLUMNS)
                .join(HookRun, and_(HookRun.event_id == OutboxEvent.id, HookRun.plugin == plugin.name))
                .where(HookRun.status == FAILED, HookRun.attempts >= MAX_ATTEMPTS)
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
            )
        ).all()
    for row in rows:
        if row[1] in plugin.hooks:
            event = HookEvent(row[0], row[1], row[2], row[3] or {})
            await _handle(
                database, contents, plugin, _Pending(event, _aware(row[4]), MAX_ATTEMPTS - 1), report
            )


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    plugin: str
    event_id: uuid.UUID
    kind: str
    error: str | None
    updated_at: datetime


async def parked(database: Database) -> list[ParkedEvent]:
    """Events a plugin's hook gave up on, oldest first, with the error."""
    async with database.read() as connection:
        rows = await connection.execute(
            select(HookRun.plugin, HookRun.event_id, OutboxEvent.kind, HookRun.error, HookRun.updated_at)
            .join(OutboxEvent, OutboxEvent.id == HookRun.event_id)
            .where(HookRun.status == FAILED, HookRun.attempts >= MAX_ATTEMPTS)
            .order_by(HookRun.event_created_at)
        )
        return [ParkedEvent(*row) for row in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def start_hook_relay(settings: Settings, database: Database, contents: Contents) -> asyncio.Task[None] | None:
    """In a serving process: the relay every ESPACE_PLUGIN_HOOKS_INTERVAL seconds
    (none when it is 0 or no enabled plugin has hooks)."""
    if settings.plugin_hooks_interval <= 0 or not any(plugin.hooks for plugin in active().enabled):
        return None
    return asyncio.create_task(_relay_forever(database, contents, settings.plugin_hooks_interval))


async def _relay_forever(database: Database, contents: Contents, interval: float) -> None:
    while True:
        try:
            await run_hooks(database, contents)
        except Exception:  # the database away for a while: try again at the next tick
            logger.warning("the hooks' relay failed; retrying in %s s", interval, exc_info=True)
        await asyncio.sleep(interval)
