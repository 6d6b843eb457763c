"""The database: engine, sessions, declarative base and the types every area shares.

Two ways in, measured on the dashboard prototype (ARCHITECTURE.md, Data):
- `Database.read()`: a short-lived autocommit connection for read-only work,
  so concurrent resolvers never share one AsyncSession and reads pay no
  BEGIN/ROLLBACK round trips;
- `Database.session()`: a unit of work for changes, committed as one transaction.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from asyncpg.exceptions import CannotConnectNowError
from sqlalchemy import DateTime, MetaData, Select, event, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from api.errors import Conflict
from api.settings import Settings

# Stable constraint names, so migrations name the same things on both dialects.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562): index-friendly primary keys.
    `at`: the moment the id orders by, for rows that record an earlier event
    (an imported document keeps its place among those deposited here)."""
    nanoseconds = time.time_ns() if at is None else int(at.timestamp() * 1_000_000_000)
    unix_ms = (max(nanoseconds, 0) // 1_000_000) & 0xFFFF_FFFF_FFFF
    rand_a = int.from_bytes(secrets.token_bytes(2)) & 0x0FFF
    rand_b = int.from_bytes(secrets.token_bytes(8)) & ((1 << 62) - 1)
    value = unix_ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both dialects (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC-aware values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# Connections older than this are replaced at checkout, before a firewall or a
# proxy drops them silently.
POOL_RECYCLE_SECONDS = 1800


def connection_lost(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached (restart, failover,
    a pool exhausted): worth retrying, unlike a fault of the request itself."""
    # Connecting raises the driver's own errors, unwrapped: refused, timed out,
    # or the server still starting up.
    if isinstance(error, PoolTimeout | ConnectionError | TimeoutError | CannotConnectNowError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _engine_options(settings: Settings) -> dict[str, Any]:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    server_settings = {
        "statement_timeout": str(settings.db_statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms),
        "application_name": "espace-sante",
    }
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_timeout": settings.db_pool_timeout_seconds,
        # No ping before each checkout: it cost a round trip per statement (a third of
        # the dashboard's time). A connection found dead raises a disconnect error that
        # invalidates the whole pool at once, so a database restart costs the requests
        # in flight (answered SERVICE_UNAVAILABLE, retryable), not one ping per statement.
        "pool_pre_ping": False,
        "pool_recycle": POOL_RECYCLE_SECONDS,
        # Statement parameters hold patient data: never in error messages nor logs.
        "hide_parameters": True,
        "connect_args": {
            "server_settings": server_settings,
            "command_timeout": settings.db_statement_timeout_ms / 1000 + 5,
        },
    }


def _prepare_sqlite(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()
        if writer:
            # We issue BEGIN ourselves (below), not the driver.
            dbapi_connection.isolation_level = None

    if writer:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Take the write lock at BEGIN: a deferred transaction that reads and
            # then writes fails at once (SQLITE_BUSY) when another writer won.
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine of one process, with its two ways in (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        url = settings.resolved_database_url
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[1]
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        options = _engine_options(settings)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            # SQLite gets a pool of its own for reads, so that the writers' BEGIN
            # IMMEDIATE never leaks onto a read connection.
            _prepare_sqlite(self.engine, writer=True)
            self._read_engine = create_async_engine(url, isolation_level="AUTOCOMMIT", **options)
            _prepare_sqlite(self._read_engine, writer=False)
        else:
            self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for read-only statements, returned to the pool on exit."""
        async with self._read_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed on normal exit, rolled back on error.

        A uniqueness clash with a concurrent request (the same block twice at
        once, two médecins traitants declared together) is CONFLICT: retryable.
        """
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except IntegrityError as error:
            raise Conflict("Another request changed the same thing at the same time; retry.") from error

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine behind this database (one on PostgreSQL, two on SQLite)."""
        return (self.engine, self._read_engine) if self.is_sqlite else (self.engine,)

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()


Count = Callable[[], Awaitable[int]]


def count_of(database: Database, query: Select[Any]) -> Count:
    """How many rows `query` gives, counted when called: a connection's
    `totalCount` costs a statement only for the clients that ask for it."""

    async def count() -> int:
        async with database.read() as connection:
            return int(await connection.scalar(select(func.count()).select_from(query.subquery())) or 0)

    return count
