"""The benchmark's mark on its database, and the guard that keeps it off any other.

A database is the benchmark's when it holds a `bench_marker` row, written
before the first generated row. Without one, a database that holds any
person (patients, professionals, accounts) is someone's data: refused. With
one, the same size and version is reused; anything else (another size,
another version, a generation cut short) is refused too: the benchmark never
deletes data, even its own, so dropping the database stays a human decision.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

# Bump when the generated data changes shape: an older dataset is then refused, not misread.
DATASET_VERSION = 1

_CREATE = """
CREATE TABLE IF NOT EXISTS bench_marker (
    id integer PRIMARY KEY CHECK (id = 1),
    version integer NOT NULL,
    patients integer NOT NULL,
    chronic_documents integer NOT NULL,
    complete boolean NOT NULL DEFAULT false,
    started_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    seconds double precision,
    dataset jsonb
)
"""
_PEOPLE_TABLES = ("patients", "professionals", "organizations", "accounts")


class BenchDatabaseRefused(RuntimeError):
    """The database is not (or not this size of) a benchmark database: nothing was written."""


@dataclass(frozen=True, slots=True)
class Marker:
    version: int
    patients: int
    chronic_documents: int
    complete: bool
    dataset: dict[str, Any] | None


async def read_marker(connection: asyncpg.Connection) -> Marker | None:
    exists = await connection.fetchval("SELECT to_regclass('bench_marker') IS NOT NULL")
    if not exists:
        return None
    row = await connection.fetchrow(
        "SELECT version, patients, chronic_documents, complete, dataset::text AS dataset FROM bench_marker"
    )
    if row is None:
        return None
    dataset = json.loads(row["dataset"]) if row["dataset"] else None
    return Marker(row["version"], row["patients"], row["chronic_documents"], row["complete"], dataset)


async def claim(connection: asyncpg.Connection, *, patients: int, chronic_documents: int) -> Marker | None:
    """The marker of a complete dataset of this size (reuse it), or None after marking
    an empty database as the benchmark's (generate); BenchDatabaseRefused otherwise."""
    marker = await read_marker(connection)
    if marker is None:
        for table in _PEOPLE_TABLES:
            if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):  # noqa: S608 - constant names
                raise BenchDatabaseRefused(
                    f"This database holds {table} but no benchmark marker: it is not a benchmark "
                    "database. Point ESPACE_DATABASE_URL at an empty PostgreSQL database."
                )
        await connection.execute(_CREATE)
        await connection.execute(
            "INSERT INTO bench_marker (id, version, patients, chronic_documents) VALUES (1, $1, $2, $3)",
            DATASET_VERSION,
            patients,
            chronic_documents,
        )
        return None
    wanted = (DATASET_VERSION, patients, chronic_documents)
    if not marker.complete:
        raise BenchDatabaseRefused(
            "A benchmark generation into this database was cut short: drop the database "
            "(dropdb, then createdb) and run again."
        )
    if (marker.version, marker.patients, marker.chronic_documents) != wanted:
        raise BenchDatabaseRefused(
            f"This database holds a benchmark dataset of {marker.patients} patients "
            f"(chronic dossier {marker.chronic_documents} documents, version {marker.version}), "
            f"not {patients} ({chronic_documents}, version {DATASET_VERSION}): drop it "
            "or use another database for this size."
        )
    return marker


async def complete(connection: asyncpg.Connection, dataset: dict[str, Any], seconds: float) -> None:
    await connection.execute(
        "UPDATE bench_marker SET complete = true, completed_at = now(), seconds = $1, dataset = $2::jsonb",
        seconds,
        json.dumps(dataset),
    )


def chronic_id(marker: Marker) -> uuid.UUID:
    return uuid.UUID((marker.dataset or {})["chronic_patient_id"])
