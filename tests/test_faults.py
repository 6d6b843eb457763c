"""Faults on PostgreSQL, where the suite runs on it (CI's second pass):

- the database ends every connection, again and again, while deposits stream in:
  the API recovers without a restart, clients get retryable answers, and retrying
  with their idempotency keys leaves every deposit there exactly once;
- the API process is killed (SIGKILL) in the middle of uploads: no document row
  without its content, and `espace store gc` removes the orphan blobs left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from api.contents.service import contents_for
from api.db import Database
from api.dossier.maintenance import collect_garbage
from tests import factories
from tests.conftest import TEST_DATABASE_ENV, error_codes
from tests.dossier.test_deposit import PDF, upload
from tests.messaging.test_live import _free_port
from tests.messaging.test_two_processes import _process

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV), reason="PostgreSQL faults (the suite's PostgreSQL pass)"
)

DEPOSITS = 24
RETRYABLE = {"SERVICE_UNAVAILABLE", "CONFLICT"}


async def _restarts(settings, times: int) -> int:
    """What restarts do to the API's connections, `times` over while deposits stream:
    the server ends every connection of the API (from one of its own, spared)."""
    outsider = Database(settings)
    dropped = 0
    try:
        for _ in range(times):
            await asyncio.sleep(0.15)
            async with outsider.read() as connection:
                dropped += int(
                    await connection.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND application_name = 'espace-sante' "
                            "AND pid != pg_backend_pid()"
                        )
                    )
                    or 0
                )
    finally:
        await outsider.dispose()
    return dropped


async def _deposit_until_acknowledged(client, token, patient, key: str, seen: set[str]) -> str:
    """A careful client: the same idempotency key until the deposit is acknowledged."""
    variables = {
        "patientId": patient.global_id,
        "title": f"Bilan {key}",
        "typeCode": "11502-2",
        "idempotencyKey": key,
    }
    for _ in range(100):
        answer = await upload(client, token, variables, PDF + key.encode())
        body = answer.json()
        codes = set(error_codes(body))
        seen.update(codes or {str(answer.status_code)})
        assert answer.status_code < 500 or answer.status_code == 503, body
        assert codes <= RETRYABLE, body  # never a 500, never an unexplained error
        document = (body.get("data") or {}).get("depositDocument") if not codes else None
        if document and document["document"]:
            return document["document"]["id"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"deposit {key} never acknowledged")


@pytest.fixture
async def fresh_pool_after(database) -> AsyncIterator[None]:
    """The drops end the suite's own pooled connections too: the tests after start afresh."""
    yield
    await database.engine.dispose()


async def test_deposits_survive_the_database_dropping_every_connection(
    client, database, settings, gql, token_of, fresh_pool_after
) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    restarts = asyncio.create_task(_restarts(settings, times=6))
    seen: set[str] = set()
    keys = [f"fault-{n}" for n in range(DEPOSITS)]
    acknowledged: dict[str, str] = {}
    for start in range(0, DEPOSITS, 6):  # six clients at a time
        batch = keys[start : start + 6]
        ids = await asyncio.gather(
            *(_deposit_until_acknowledged(client, token, patient, k, seen) for k in batch)
        )
        acknowledged.update(zip(batch, ids, strict=True))
    dropped = await restarts
    assert dropped > 0
    assert seen & RETRYABLE, "the drops never reached a request: the test proved nothing"

    # Afterwards, without any restart: every acknowledged deposit is there, once.
    listing = (
        "query($id: ID!) { patient(id: $id) { documents(first: 100) "
        "{ totalCount edges { node { id title } } } } }"
    )
    for _ in range(5):  # the first request after the last drop may meet a dead connection: retried
        body = await gql(listing, {"id": patient.global_id}, token=token)
        if "data" in body and not body.get("errors"):
            break
        assert error_codes(body) == ["SERVICE_UNAVAILABLE"], body
    documents = body["data"]["patient"]["documents"]
    assert documents["totalCount"] == DEPOSITS
    assert {edge["node"]["id"] for edge in documents["edges"]} == set(acknowledged.values())
    assert sorted(edge["node"]["title"] for edge in documents["edges"]) == sorted(f"Bilan {k}" for k in keys)


async def _documents_of(database, patient) -> list:
    async with database.read() as connection:
        statement = text("SELECT blob_key, sha256 FROM documents WHERE patient_id = :p")
        return list((await connection.execute(statement, {"p": patient.person_id})).all())


async def test_a_killed_process_leaves_no_document_without_content_and_gc_cleans(
    settings, database, token_of
) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    port = _free_port()
    process = await _process(settings, port)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:

            async def uploader(worker: int) -> None:
                for n in range(10):  # one after another: always one in flight
                    variables = {
                        "patientId": patient.global_id,
                        "title": f"Kill {worker}.{n}",
                        "typeCode": "11502-2",
                    }
                    try:
                        await upload(client, token, variables, PDF + os.urandom(200_000))
                    except httpx.HTTPError:
                        return  # the process is gone

            uploads = [asyncio.create_task(uploader(worker)) for worker in range(6)]
            # Killed once some deposits are in: the others are in the middle of theirs.
            for _ in range(200):
                if await _documents_of(database, patient):
                    break
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            await asyncio.gather(*uploads)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

    contents = contents_for(settings, database)
    rows = await _documents_of(database, patient)
    assert 0 < len(rows) < 60, "the kill came before or after every upload: nothing was in the middle"
    for row in rows:  # every document that exists has its whole content
        assert await contents.open(patient.person_id, row.blob_key, row.sha256)
    # Past the grace period, gc leaves in the space's folder only what documents point to.
    await collect_garbage(database, contents, grace=timedelta(seconds=-1))
    folder = contents._store.root / patient.person_id.hex
    left = {f"{folder.name}/{path.name}" for path in folder.iterdir()} if folder.exists() else set()
    assert left == {row.blob_key for row in rows}
