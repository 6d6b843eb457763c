"""The agenda of the generated spaces, as its read path expects to find it.

Reading an agenda first calls `api.agenda.service.refresh`, which recomputes
a space whose state row is missing, from another day, or of other inputs
(the digest of what the rules read). So the prevention items are made by that
very function, once per space after every other row is in: the state then
holds today's day and the digest of the generated data, and the dashboard
measures reads, not recomputation. The patient's own appointments and
reminders are topped up by COPY, so that every space has at least five items.

A state is for one day: on another day, `refresh_stale` brings every space
to today before a run (what the first read of each space would do).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, time, timedelta

import asyncpg

from api.agenda.models import ItemKind, ItemStatus
from api.agenda.service import refresh
from api.bench.bulk import Progress, copy
from api.bench.identities import Ids
from api.bench.people import PatientSeed
from api.db import Database
from api.settings import Settings
from api.timezones import PARIS, paris_today

ITEMS_PER_SPACE = 5
_CONCURRENCY = 8
_APPOINTMENTS = (
    ("Consultation de suivi", "Cabinet médical"),
    ("Prise de sang à jeun", "Laboratoire de biologie médicale"),
    ("Séance de kinésithérapie", "Cabinet de kinésithérapie"),
    ("Consultation de cardiologie", "Centre hospitalier"),
)
_REMINDERS = (
    "Renouveler l'ordonnance",
    "Envoyer les relevés de tension",
    "Prendre rendez-vous chez le dentiste",
)
ITEM_COLUMNS = (
    "patient_id",
    "id",
    "key",
    "kind",
    "title",
    "day",
    "due_date",
    "starts_at",
    "ends_at",
    "location",
    "status",
    "decided_by_patient",
    "created_at",
    "updated_at",
)


async def refresh_all(
    settings: Settings, patient_ids: list[uuid.UUID], *, label: str, progress: bool, force: bool
) -> None:
    """`refresh` every space, a few at a time. The rules engine is Python work and the
    machine's cores are busy either way (two processes measured no faster than one)."""
    bar = Progress(label, len(patient_ids), enabled=progress)
    database = Database(settings)
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(patient_id: uuid.UUID) -> None:
        async with gate:
            await refresh(database, patient_id, force=force)
            bar.advance(1)

    try:
        for start in range(0, len(patient_ids), 1_000):
            await asyncio.gather(*(one(patient_id) for patient_id in patient_ids[start : start + 1_000]))
    finally:
        await database.dispose()
    bar.close()


async def add_own_items(
    connection: asyncpg.Connection, seeds: list[PatientSeed], ids: Ids, rng: random.Random, now: datetime
) -> None:
    """Appointments and reminders to come, at least one per space, up to five items in all."""
    counts = dict(
        await connection.fetch("SELECT patient_id, count(*) FROM agenda_items GROUP BY patient_id")  # type: ignore[arg-type]
    )
    today, rows = paris_today(), []
    for seed in seeds:
        for number in range(max(1, ITEMS_PER_SPACE - counts.get(seed.id, 0))):
            item_id = ids.at(now)
            day = today + timedelta(days=rng.randint(3, 120))
            if number % 2 == 0:
                title, location = rng.choice(_APPOINTMENTS)
                starts = datetime.combine(day, time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), PARIS)
                kind, due, starts_at, ends_at = ItemKind.APPOINTMENT, None, starts.astimezone(UTC), None
                ends_at = starts_at + timedelta(minutes=30)
            else:
                title, location = rng.choice(_REMINDERS), None
                kind, due, starts_at, ends_at = ItemKind.REMINDER, day, None, None
            rows.append(
                (
                    seed.id,
                    item_id,
                    f"own:{item_id}",
                    kind.value,
                    title,
                    day,
                    due,
                    starts_at,
                    ends_at,
                    location,
                    ItemStatus.UPCOMING.value,
                    False,
                    now,
                    now,
                )
            )
    await copy(connection, "agenda_items", ITEM_COLUMNS, rows)


async def stale_spaces(connection: asyncpg.Connection) -> list[uuid.UUID]:
    """Spaces whose agenda state is not today's (or missing)."""
    rows = await connection.fetch(
        "SELECT p.id FROM patients p LEFT JOIN agenda_states s ON s.patient_id = p.id "
        "WHERE s.computed_day IS DISTINCT FROM $1 ORDER BY p.id",
        paris_today(),
    )
    return [row["id"] for row in rows]
