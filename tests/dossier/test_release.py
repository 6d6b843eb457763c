"""Documents hidden from their patient: a notice after two weeks, release after a month."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from api.db import utcnow
from api.dossier.maintenance import release_hidden_documents
from api.dossier.models import Document
from tests import factories
from tests.journal.helpers import events

LIST = "query($id: ID!) { patient(id: $id) { documents(first: 10) { totalCount } } }"


async def _age(database, record, days: int) -> None:
    async with database.session() as session:
        await session.execute(
            update(Document)
            .where(Document.id == record.id)
            .values(deposited_at=utcnow() - timedelta(days=days))
        )


async def test_notice_then_release(gql, database, contents, token_of, settings) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor)
    record = await factories.deposit(database, contents, patient, by=doctor, hidden_from_patient=True)
    token = await token_of(patient)
    delays = {"notice_after": settings.hidden_notice_after, "release_after": settings.hidden_release_after}

    await release_hidden_documents(database, **delays)
    assert await events(database, patient.person_id, "dossier.updated") == []  # too early

    await _age(database, record, 15)
    await release_hidden_documents(database, **delays)
    await release_hidden_documents(database, **delays)  # once only
    (notice,) = await events(database, patient.person_id, "dossier.updated")
    assert notice.payload == {}  # nothing about the document: it is announced in person
    assert (await gql(LIST, {"id": patient.global_id}, token=token))["data"]["patient"]["documents"][
        "totalCount"
    ] == 0

    await _age(database, record, 31)
    report = await release_hidden_documents(database, **delays)
    assert report.released >= 1
    assert (await gql(LIST, {"id": patient.global_id}, token=token))["data"]["patient"]["documents"][
        "totalCount"
    ] == 1
    assert len(await events(database, patient.person_id, "dossier.document_released")) == 1


def test_the_release_command_runs(tmp_path, monkeypatch, capsys) -> None:
    from api.cli import main

    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ESPACE_DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    assert main(["dossier", "release"]) == 0
    assert "0 patient notice(s) queued, 0 document(s) released" in capsys.readouterr().out


async def test_orphan_blobs_are_collected_and_referenced_ones_kept(database, contents) -> None:
    from datetime import timedelta as delta

    from api.dossier.maintenance import collect_garbage

    patient = await factories.make_patient(database)
    kept = await factories.deposit(database, contents, patient, content=b"kept")
    orphan = await contents.seal(patient.person_id, b"a deposit that never got its row")
    assert await collect_garbage(database, contents) == 0  # within the grace period: kept
    removed = await collect_garbage(database, contents, grace=delta(seconds=-1))
    assert removed >= 1
    assert not contents._store._path(orphan.blob_key).exists()
    async with database.read() as connection:
        blob_key = await connection.scalar(select(Document.blob_key).where(Document.id == kept.id))
    assert contents._store._path(blob_key).exists()


async def test_the_partial_write_of_a_killed_process_is_swept(database, contents) -> None:
    import os
    import time
    from datetime import timedelta as delta

    from api.dossier.maintenance import collect_garbage

    patient = await factories.make_patient(database)
    sealed = await contents.seal(patient.person_id, b"written whole")
    whole = contents._store._path(sealed.blob_key)
    # What `_write` leaves when the process dies before its rename.
    partial = whole.with_name(f".{'0' * 64}.{os.getpid()}.tmp")
    partial.write_bytes(b"half a docu")
    assert await collect_garbage(database, contents) == 0 or partial.exists()  # recent: kept
    assert partial.exists()
    hour_ago = time.time() - 7200
    os.utime(partial, (hour_ago, hour_ago))
    await collect_garbage(database, contents)
    assert not partial.exists()
    await collect_garbage(database, contents, grace=delta(seconds=-1))
    assert not whole.exists()  # the orphan itself, once past the grace


def test_the_gc_command_runs(tmp_path, monkeypatch, capsys) -> None:
    from api.cli import main

    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ESPACE_DATABASE_URL", raising=False)
    assert main(["migrate"]) == 0
    assert main(["store", "gc"]) == 0
    assert "0 orphan blob(s) removed; 0 expired idempotency key(s) pruned" in capsys.readouterr().out
