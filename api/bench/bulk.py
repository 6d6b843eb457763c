"""Bulk writing for the dataset: raw asyncpg connections, COPY, and a progress line."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from api.settings import Settings


def asyncpg_dsn(settings: Settings) -> str:
    """The settings' database URL as asyncpg takes it; a clear error for anything but PostgreSQL."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "postgresql":
        raise RuntimeError(
            f"The benchmark runs on PostgreSQL only; ESPACE_DATABASE_URL is {url.get_backend_name()} "
            "(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/bench)."
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def connect(settings: Settings) -> asyncpg.Connection:
    # Generation is one long batch job: no statement timeout, and no wait on the WAL
    # flush at each commit (a crash loses the tail, and the marker then refuses the rest).
    return await asyncpg.connect(
        asyncpg_dsn(settings),
        server_settings={
            "statement_timeout": "0",
            "synchronous_commit": "off",
            "application_name": "espace-bench-dataset",
        },
    )


async def copy(
    connection: asyncpg.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if rows:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))


class Progress:
    """One stderr line per phase, rewritten at most five times a second (no dependency)."""

    def __init__(self, label: str, total: int, *, enabled: bool) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self._started = self._shown = time.monotonic()
        self._show()

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled and time.monotonic() - self._shown >= 0.2:
            self._show()

    def _show(self) -> None:
        if not self.enabled:
            return
        self._shown = time.monotonic()
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(share * 30)
        elapsed = self._shown - self._started
        sys.stderr.write(
            f"\r{self.label:<22} [{bar:<30}] {self.done:>9,}/{self.total:,} {share:6.1%} {elapsed:6.1f}s"
        )
        sys.stderr.flush()

    def close(self) -> float:
        """Ends the line; returns the phase's seconds."""
        elapsed = time.monotonic() - self._started
        if self.enabled:
            self.done = self.total
            self._show()
            sys.stderr.write("\n")
            sys.stderr.flush()
        return elapsed
