"""The benchmark's dataset (issue 9): national-like sizes on PostgreSQL, made in
minutes by COPY, reused as is when the same size is asked again.

`prepare` migrates the database of the settings, checks it is a benchmark
database (api.bench.marker), then either reads the dataset back or generates
it: people, then spaces in chunks (documents with their French text and
search vector, reimbursements, sealed messages), then each agenda through the
agenda's own refresh, then ANALYZE. Sizes scale with `patients`.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from api.bench import agenda, marker, people, records
from api.bench.bulk import Progress, asyncpg_dsn, connect, copy
from api.bench.identities import Ids
from api.contents.service import key_id, load_master_key, store_for
from api.db import Database, utcnow
from api.identity.scopes import Scope
from api.migrations import upgrade
from api.oauth.admin import register_software
from api.settings import Settings

LAB_CLIENT_ID = "bench-lab-feed"
PROFESSIONALS_PER_PATIENT = 1 / 5
_CHUNK_PATIENTS = 100
_WORKERS = 2  # one PostgreSQL backend per core computes search vectors
_SEARCH_INDEX = "ix_documents_search_vector"
# The deposit's expression (api.dossier.search.vector_value), over the same words.
_VECTOR = "setweight(to_tsvector('french', unaccent(title)), 'A') || to_tsvector('french', unaccent(words))"
_COUNTED = {
    "patients": "patients",
    "professionals": "professionals",
    "documents": "documents",
    "messages": "messages",
    "agenda_items": "agenda_items",
    "reimbursements": "reimbursements",
}


@dataclass(frozen=True)
class Dataset:
    patients: int
    professionals: int
    documents: int
    messages: int
    agenda_items: int
    reimbursements: int
    chronic_patient_id: uuid.UUID  # the patient with the large dossier (search scenario)
    lab_client_id: str  # a deposit feed (client credentials) allowed to deposit by INS
    lab_client_secret: str

    def as_json(self) -> dict[str, Any]:
        """The dataset's figures for a report; never the secret."""
        found = asdict(self)
        found.pop("lab_client_secret")
        found["chronic_patient_id"] = str(self.chronic_patient_id)
        return found


async def prepare(
    settings: Settings, *, patients: int = 10_000, progress: bool = True, chronic_documents: int = 5_000
) -> Dataset:
    """The dataset of `patients` spaces in the database of `settings` (PostgreSQL only):
    reused when already there, generated into an empty database, and
    `marker.BenchDatabaseRefused` for any other database."""
    if not 1 <= patients < 1_000_000:
        raise ValueError("patients: from 1 to 999,999 (the INS serials of the dataset)")
    asyncpg_dsn(settings)  # PostgreSQL or a clear error, before anything is touched
    database = Database(settings)
    try:
        await upgrade(database)
        connection = await connect(settings)
        try:
            found = await marker.claim(connection, patients=patients, chronic_documents=chronic_documents)
            if found is not None:
                return await _reuse(settings, database, connection, found, progress=progress)
            return await _generate(
                settings,
                database,
                connection,
                patients=patients,
                chronic_documents=chronic_documents,
                progress=progress,
            )
        finally:
            await connection.close()
    finally:
        await database.dispose()


async def _lab_secret(database: Database, organization_id: uuid.UUID) -> str:
    """A new secret for the lab's feed: secrets are stored hashed, so each run gets its own."""
    return await register_software(
        database,
        client_id=LAB_CLIENT_ID,
        name="BioBench LIMS (benchmark deposit feed)",
        organization_id=organization_id,
        scopes=[Scope.DOCUMENTS_WRITE.value],
    )


async def _reuse(
    settings: Settings,
    database: Database,
    connection: asyncpg.Connection,
    found: marker.Marker,
    *,
    progress: bool,
) -> Dataset:
    stale = await agenda.stale_spaces(connection)
    if stale:  # generated on another day: bring the agendas to today before any run
        await agenda.refresh_all(settings, stale, label="agenda (new day)", progress=progress, force=False)
    lab = await connection.fetchval(
        "SELECT organization_id FROM oauth_software_clients WHERE client_id = $1", LAB_CLIENT_ID
    )
    figures = dict(found.dataset or {})
    return Dataset(
        **{name: int(figures[name]) for name in _COUNTED},
        chronic_patient_id=marker.chronic_id(found),
        lab_client_id=LAB_CLIENT_ID,
        lab_client_secret=await _lab_secret(database, lab),
    )


async def _generate(
    settings: Settings,
    database: Database,
    connection: asyncpg.Connection,
    *,
    patients: int,
    chronic_documents: int,
    progress: bool,
) -> Dataset:
    started = time.monotonic()
    now = utcnow().replace(microsecond=0)
    rng = random.Random(f"espace-bench-{patients}")
    ids = Ids(rng)
    master_key = load_master_key(settings)
    population = people.draw(
        rng, ids, now, patients=patients, professionals=max(int(patients * PROFESSIONALS_PER_PATIENT), 10)
    )
    await people.write(
        connection,
        population,
        master_key=master_key,
        master_key_id=key_id(master_key),
        now=now,
        progress=progress,
    )
    secret = await _lab_secret(database, population.laboratory.id)
    chronic = population.patients[0].id
    sizes = records.Sizes(chronic_documents=chronic_documents)
    maker = records.ChunkMaker(population, ids, rng, now, sizes, lab_client=LAB_CLIENT_ID)
    # The GIN index is built once at the end: maintaining it row by row costs more than the rows.
    await connection.execute(f"DROP INDEX IF EXISTS {_SEARCH_INDEX}")
    total = (patients - 1) * sizes.documents + chronic_documents
    await _write_spaces(settings, maker, population, chronic, total=total, progress=progress)
    bar = Progress("search index", 1, enabled=progress)
    await connection.execute("SET maintenance_work_mem = '512MB'")
    await connection.execute(
        f"CREATE INDEX {_SEARCH_INDEX} ON documents USING gin (patient_id, search_vector)"
    )
    bar.close()
    ids_in_order = [seed.id for seed in population.patients]
    await agenda.refresh_all(settings, ids_in_order, label="agenda", progress=progress, force=True)
    await agenda.add_own_items(connection, population.patients, ids, rng, now)
    bar = Progress("analyze", 1, enabled=progress)
    await connection.execute("ANALYZE")
    bar.close()
    figures = {
        name: await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - constant names
        for name, table in _COUNTED.items()
    }
    figures["chronic_patient_id"] = str(chronic)
    await marker.complete(connection, figures, time.monotonic() - started)
    return Dataset(
        **{name: int(figures[name]) for name in _COUNTED},
        chronic_patient_id=chronic,
        lab_client_id=LAB_CLIENT_ID,
        lab_client_secret=secret,
    )


async def _write_spaces(
    settings: Settings,
    maker: records.ChunkMaker,
    population: people.Population,
    chronic: uuid.UUID,
    *,
    total: int,
    progress: bool,
) -> None:
    """Chunks of spaces drawn here, written by workers on connections of their own, so
    that PostgreSQL computes search vectors while the next chunk is drawn."""
    bar = Progress("documents", total, enabled=progress)
    queue: asyncio.Queue[records.Chunk | None] = asyncio.Queue(maxsize=_WORKERS)
    store = store_for(settings)
    workers = [asyncio.create_task(_worker(settings, queue, bar)) for _ in range(_WORKERS)]
    try:
        seeds = population.patients
        for start in range(0, len(seeds), _CHUNK_PATIENTS):
            chunk = maker.make(seeds[start : start + _CHUNK_PATIENTS], chronic)
            await records.store_blobs(store, chunk.blobs)
            await queue.put(chunk)
            await asyncio.sleep(0)
            for worker in workers:
                if worker.done():
                    worker.result()  # a failed worker stops the generation with its error
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for worker in workers:
            worker.cancel()
    bar.close()


async def _worker(settings: Settings, queue: asyncio.Queue[records.Chunk | None], bar: Progress) -> None:
    connection = await connect(settings)
    try:
        await connection.execute(
            "CREATE TEMP TABLE bench_documents_in (LIKE documents); "
            "ALTER TABLE bench_documents_in DROP COLUMN search_vector, ADD COLUMN words text"
        )
        columns = ", ".join(records.DOCUMENT_COLUMNS)
        while (chunk := await queue.get()) is not None:
            async with connection.transaction():
                await copy(
                    connection, "bench_documents_in", (*records.DOCUMENT_COLUMNS, "words"), chunk.documents
                )
                await connection.execute(
                    f"INSERT INTO documents ({columns}, search_vector) "  # noqa: S608 - constant names
                    f"SELECT {columns}, {_VECTOR} FROM bench_documents_in"
                )
                await connection.execute("TRUNCATE bench_documents_in")
                await copy(connection, "reimbursements", records.REIMBURSEMENT_COLUMNS, chunk.reimbursements)
                await copy(connection, "threads", records.THREAD_COLUMNS, chunk.threads)
                await copy(connection, "thread_participants", records.PARTICIPANT_COLUMNS, chunk.participants)
                await copy(connection, "messages", records.MESSAGE_COLUMNS, chunk.messages)
            bar.advance(len(chunk.documents))
    finally:
        await connection.close()
