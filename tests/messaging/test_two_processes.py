"""Two API processes on one PostgreSQL: a subscriber on one receives the message
sent through the other (LISTEN/NOTIFY). Runs where the suite runs on
PostgreSQL (ESPACE_TEST_DATABASE_URL), as CI's second pass does."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
import pytest

from api.access.models import CareRole
from tests import factories
from tests.conftest import TEST_DATABASE_ENV
from tests.messaging.test_live import SUBSCRIBE, _free_port
from tests.messaging.test_threads import START

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV),
    reason="one PostgreSQL shared by two processes (the suite's PostgreSQL pass)",
)


async def _process(settings, port: int) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "ESPACE_DATABASE_URL": settings.database_url,
        "ESPACE_VAR_DIR": str(settings.var_dir),
        "ESPACE_ENV": "development",
    }
    process = await asyncio.create_subprocess_exec(
        *[
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    async with httpx.AsyncClient() as client:
        for _ in range(150):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return process
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("the API process did not start")


async def test_a_message_sent_through_one_process_reaches_a_subscriber_of_another(
    settings, database, token_of
) -> None:
    import websockets

    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    listener_port, sender_port = _free_port(), _free_port()
    listener, sender = await _process(settings, listener_port), await _process(settings, sender_port)
    try:
        async with websockets.connect(
            f"ws://127.0.0.1:{listener_port}/graphql", subprotocols=["graphql-transport-ws"]
        ) as socket_:
            token = await token_of(patient)
            await socket_.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            )
            assert json.loads(await socket_.recv())["type"] == "connection_ack"
            await socket_.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient() as client:
                sent = await client.post(
                    f"http://127.0.0.1:{sender_port}/graphql",
                    json={
                        "query": START,
                        "variables": {
                            "input": {
                                "patientId": patient.global_id,
                                "subject": "HbA1c",
                                "body": "Par l'autre processus",
                            }
                        },
                    },
                    headers={"Authorization": f"Bearer {await token_of(gp)}"},
                )
            assert sent.json()["data"]["startThread"]["userErrors"] == [], sent.text
            received = json.loads(await asyncio.wait_for(socket_.recv(), timeout=10))
        assert received["payload"]["data"]["messageReceived"]["body"] == "Par l'autre processus"
    finally:
        for process in (listener, sender):
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=10)
