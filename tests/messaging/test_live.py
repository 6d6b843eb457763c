"""messageReceived over a real WebSocket (graphql-transport-ws, served by
uvicorn): the patient receives the GP's message sent by another request; the
pharmacist, not in the thread, receives nothing; no token, no socket."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
import uvicorn
import websockets

from api.access.models import CareRole
from tests import factories
from tests.messaging.test_threads import START

SUBSCRIBE = "subscription($id: ID) { messageReceived(patientId: $id) { body senderName } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def served(app):
    """The app the tests' HTTP client also talks to, served on a real port."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task


async def _subscribe(url: str, token: str, patient_id: str | None):
    socket_ = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
    await socket_.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await socket_.recv())["type"] == "connection_ack"
    await socket_.send(
        json.dumps(
            {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE, "variables": {"id": patient_id}}}
        )
    )
    await asyncio.sleep(0.3)  # the subscription is listening
    return socket_


async def test_the_patient_receives_the_gps_message_live(served, gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, pharmacist)
    listening = await _subscribe(served, await token_of(patient), None)
    outsider = await _subscribe(served, await token_of(pharmacist), patient.global_id)
    try:
        sent = await gql(
            START,
            {
                "input": {
                    "patientId": patient.global_id,
                    "subject": "HbA1c",
                    "body": "Votre résultat est arrivé.",
                }
            },
            token=await token_of(gp),
        )
        assert sent["data"]["startThread"]["userErrors"] == []
        received = json.loads(await asyncio.wait_for(listening.recv(), timeout=10))
        assert received["type"] == "next", received
        assert received["payload"]["data"]["messageReceived"] == {
            "body": "Votre résultat est arrivé.",
            "senderName": gp.name,
        }
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(outsider.recv(), timeout=1)  # not in the thread: nothing
    finally:
        await listening.close()
        await outsider.close()


async def test_no_token_no_socket(served) -> None:
    socket_ = await websockets.connect(served, subprotocols=["graphql-transport-ws"])
    await socket_.send(json.dumps({"type": "connection_init", "payload": {}}))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket_.recv(), timeout=5)
    assert closed.value.rcvd.code == 4403


async def test_the_legacy_protocol_is_refused(served) -> None:
    """graphql-ws (legacy) could skip connection_init: only graphql-transport-ws is spoken."""
    socket_ = await websockets.connect(served, subprotocols=["graphql-ws"])
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket_.recv(), timeout=5)
    assert closed.value.rcvd.code == 4406


async def test_queries_go_over_http_not_the_socket(served, database, token_of) -> None:
    patient = await factories.make_patient(database)
    socket_ = await websockets.connect(served, subprotocols=["graphql-transport-ws"])
    token = await token_of(patient)
    await socket_.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await socket_.recv())["type"] == "connection_ack"
    query = "{ patient { threads(first: 5) { totalCount } } }"
    await socket_.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": query}}))
    answer = json.loads(await asyncio.wait_for(socket_.recv(), timeout=5))
    await socket_.close()
    assert answer["payload"]["errors"][0]["extensions"]["code"] == "BAD_REQUEST", answer
    assert "data" not in answer["payload"] or answer["payload"]["data"] is None


async def test_a_revoked_token_ends_the_subscription(served, gql, database, token_of, tokens) -> None:
    from datetime import UTC, datetime, timedelta

    from api.identity.models import RevokedToken

    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    token = await token_of(patient)
    listening = await _subscribe(served, token, None)
    async with database.session() as session:
        session.add(
            RevokedToken(jti=tokens.verify(token)["jti"], expires_at=datetime.now(UTC) + timedelta(hours=1))
        )
    await gql(
        START,
        {"input": {"patientId": patient.global_id, "subject": "Suivi", "body": "Bonjour"}},
        token=await token_of(gp),
    )
    ended = json.loads(await asyncio.wait_for(listening.recv(), timeout=10))
    await listening.close()
    assert ended["type"] == "complete", ended  # no message: the subscription is over
