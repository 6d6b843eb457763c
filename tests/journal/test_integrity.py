"""Tamper evidence: the chain detects altered and removed entries; the database
refuses changes; concurrent writers never fork a space's chain."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from api.access.models import CareRole
from api.db import utcnow
from api.journal import service
from api.journal.records import AccessAction, JournalRecord
from tests import factories

INTEGRITY = (
    "query($id: ID!) { patient(id: $id) { accessLogIntegrity { ok entries firstBrokenEntryId problem } } }"
)


def _record(patient_id, n: int) -> JournalRecord:
    return JournalRecord(
        patient_id=patient_id,
        at=utcnow(),
        actor_kind="PROFESSIONAL",
        actor_account_id=patient_id,
        actor_name=f"Reader {n}",
        client_id="test",
        action=AccessAction.READ,
        object_type="Patient",
        object_id=str(patient_id),
    )


async def _journal_of(database, size: int):
    patient = await factories.make_patient(database)
    async with database.engine.begin() as connection:
        stored = await service.append(connection, [_record(patient.person_id, n) for n in range(size)])
    return patient, stored


async def _tamper(database, statement: str, **params) -> None:
    """Change the journal behind the application's back, past the append-only trigger."""
    async with database.engine.begin() as connection:
        if database.is_sqlite:
            await connection.execute(text("DROP TRIGGER journal_entries_no_update"))
            await connection.execute(text("DROP TRIGGER journal_entries_no_delete"))
            await connection.execute(text(statement), params)
            for event in ("UPDATE", "DELETE"):
                await connection.execute(
                    text(
                        f"CREATE TRIGGER journal_entries_no_{event.lower()} BEFORE {event} "
                        "ON journal_entries BEGIN "
                        "SELECT RAISE(ABORT, 'the access journal is append-only'); END"
                    )
                )
        else:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(statement), params)


async def test_an_intact_chain_verifies(gql, database, token_of) -> None:
    patient, _stored = await _journal_of(database, 5)
    body = await gql(INTEGRITY, {"id": patient.global_id}, token=await token_of(patient))
    assert body["data"]["patient"]["accessLogIntegrity"] == {
        "ok": True,
        "entries": 5,
        "firstBrokenEntryId": None,
        "problem": None,
    }


async def test_an_altered_entry_and_a_deleted_one_are_both_detected(gql, database, token_of) -> None:
    patient, stored = await _journal_of(database, 6)
    token = await token_of(patient)
    await _tamper(
        database,
        "UPDATE journal_entries SET actor_name = 'Nobody' WHERE patient_id = :p AND seq = 2",
        p=patient.person_id if not database.is_sqlite else patient.person_id.hex,
    )
    body = await gql(INTEGRITY, {"id": patient.global_id}, token=token)
    report = body["data"]["patient"]["accessLogIntegrity"]
    assert report["ok"] is False
    assert report["problem"] == "the entry was altered"
    node = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": report["firstBrokenEntryId"]}, token=token
    )
    assert node["data"]["node"]["id"] == report["firstBrokenEntryId"]
    from api.graphql.ids import encode_id

    assert report["firstBrokenEntryId"] == encode_id("AccessLogEntry", stored[1].id)

    # Put the name back, delete entry 4 instead: the gap is found.
    await _tamper(
        database,
        "UPDATE journal_entries SET actor_name = 'Reader 1' WHERE patient_id = :p AND seq = 2",
        p=patient.person_id if not database.is_sqlite else patient.person_id.hex,
    )
    await _tamper(
        database,
        "DELETE FROM journal_entries WHERE patient_id = :p AND seq = 4",
        p=patient.person_id if not database.is_sqlite else patient.person_id.hex,
    )
    report = (await gql(INTEGRITY, {"id": patient.global_id}, token=token))["data"]["patient"][
        "accessLogIntegrity"
    ]
    assert report["ok"] is False
    assert report["firstBrokenEntryId"] == encode_id("AccessLogEntry", stored[4].id)


async def test_a_removed_tail_is_detected(database) -> None:
    patient, _stored = await _journal_of(database, 3)
    await _tamper(
        database,
        "DELETE FROM journal_entries WHERE patient_id = :p AND seq = 3",
        p=patient.person_id if not database.is_sqlite else patient.person_id.hex,
    )
    async with database.read() as connection:
        report = await service.verify_chain(connection, patient.person_id)
    assert (report.ok, report.problem) == (False, "the latest entries were removed")


async def test_the_database_refuses_to_change_or_delete_an_entry(database) -> None:
    patient, _stored = await _journal_of(database, 1)
    key = patient.person_id if not database.is_sqlite else patient.person_id.hex
    for statement in (
        "UPDATE journal_entries SET actor_name = 'x' WHERE patient_id = :p",
        "DELETE FROM journal_entries WHERE patient_id = :p",
    ):
        with pytest.raises(Exception, match="append-only"):
            async with database.engine.begin() as connection:
                await connection.execute(text(statement), {"p": key})
    async with database.read() as connection:
        assert (await service.verify_chain(connection, patient.person_id)).ok


async def test_concurrent_requests_keep_one_chain(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    readers = [await factories.make_professional(database) for _ in range(4)]
    for reader in readers:
        await factories.add_to_care_team(database, patient, reader, CareRole.DECLARED_BY_PATIENT)
    tokens = [await token_of(reader) for reader in readers]
    query = "query($id: ID!) { patient(id: $id) { displayName careTeam { role } } }"

    async def read(token: str) -> dict:
        return await gql.__class__(gql._client, gql._token_for)(query, {"id": patient.global_id}, token=token)

    bodies = await asyncio.gather(*(read(tokens[i % 4]) for i in range(24)))
    assert all("errors" not in body for body in bodies)
    async with database.read() as connection:
        report = await service.verify_chain(connection, patient.person_id)
    assert report.ok
    assert report.entries == 48  # 24 requests x (Patient + CareTeam)


async def test_concurrent_appends_on_the_engine_keep_one_chain(database) -> None:
    """Below HTTP, so that the writers really overlap (separate connections)."""
    patient = await factories.make_patient(database)

    async def write(n: int) -> None:
        async with database.engine.begin() as connection:
            await service.append(connection, [_record(patient.person_id, n), _record(patient.person_id, n)])

    # Even the first writers race: the head is created once, the others queue on it.
    await asyncio.gather(*(write(n) for n in range(16)))
    async with database.read() as connection:
        report = await service.verify_chain(connection, patient.person_id)
    assert (report.ok, report.entries) == (True, 32)


async def test_a_chain_growing_during_the_check_is_not_mistaken_for_a_cut_one(database, monkeypatch) -> None:
    patient, _ = await _journal_of(database, 3)
    paging = service._in_order

    async def growing_while_paging(connection, patient_id, batch):
        first = True
        async for entry in paging(connection, patient_id, batch):
            yield entry
            if first:  # a doctor reads the space while the patient checks
                first = False
                async with database.engine.begin() as writer:
                    await service.append(writer, [_record(patient.person_id, 9)])

    monkeypatch.setattr(service, "_in_order", growing_while_paging)
    async with database.read() as connection:
        report = await service.verify_chain(connection, patient.person_id, batch=1)
    assert (report.ok, report.entries) == (True, 3)


async def test_heads_are_never_deleted_and_entries_never_truncated(database) -> None:
    patient, _ = await _journal_of(database, 1)
    key = patient.person_id if not database.is_sqlite else patient.person_id.hex
    with pytest.raises(Exception, match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text("DELETE FROM journal_heads WHERE patient_id = :p"), {"p": key})
    if not database.is_sqlite:
        for table in ("journal_entries", "journal_heads"):
            with pytest.raises(Exception, match="append-only"):
                async with database.engine.begin() as connection:
                    await connection.execute(text(f"TRUNCATE {table}"))
