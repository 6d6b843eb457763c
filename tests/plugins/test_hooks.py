"""The hooks' relay: each event handed once to each plugin, after the commit;
failures retried, then parked; a hook's writes commit with its acknowledgement."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from api.hooks import MAX_ATTEMPTS, parked, run_hooks
from api.journal.models import HookRun
from api.plugin_context import HookContext
from api.plugins import HookEvent, Plugin
from tests.factories import deposit, make_patient


def _recording_plugin(
    name: str, seen: list[HookEvent], watched: uuid.UUID, *, failing: bool = False
) -> Plugin:
    """Records the events of the `watched` space (the session's database holds
    other tests' events too, handed to it as well, and ignored)."""

    async def on_document(event: HookEvent, context: HookContext) -> None:
        if event.patient_id != watched:
            return
        if failing:
            raise ValueError("this document cannot be read")
        found = await context.document(watched, uuid.UUID(event.payload["documentId"]))
        assert found is not None
        assert found.content.startswith(b"HbA1c")  # the plain content, opened for processing
        seen.append(event)

    return Plugin(
        name=name,
        version="1.0",
        description="records what it is handed",
        hooks={"dossier.document_added": on_document},
    )


async def test_each_event_is_handed_once_after_the_commit(database, contents) -> None:
    patient = await make_patient(database)
    first = await deposit(database, contents, patient, by=None)
    second = await deposit(database, contents, patient, by=None, title="Compte rendu")
    seen: list[HookEvent] = []
    plugin = _recording_plugin(f"rec_{uuid.uuid4().hex[:8]}", seen, patient.person_id)

    report = await run_hooks(database, contents, plugins=[plugin])
    assert [event.payload["documentId"] for event in seen] == [str(first.id), str(second.id)]
    assert report.handled >= 2
    assert report.failed == 0

    seen.clear()
    await run_hooks(database, contents, plugins=[plugin])
    assert seen == []


async def test_a_failing_hook_is_retried_then_parked_then_retried_on_demand(database, contents) -> None:
    patient = await make_patient(database)
    await deposit(database, contents, patient)
    seen: list[HookEvent] = []
    name = f"fail_{uuid.uuid4().hex[:8]}"
    failing = _recording_plugin(name, seen, patient.person_id, failing=True)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await run_hooks(database, contents, plugins=[failing])
        assert report.failed >= 1
        async with database.read() as connection:
            attempts = await connection.scalar(
                select(func.max(HookRun.attempts)).where(HookRun.plugin == name, HookRun.status == "FAILED")
            )
        assert attempts == attempt
    assert report.parked >= 1
    stuck = [event for event in await parked(database) if event.plugin == name]
    assert len(stuck) == 1
    assert "cannot be read" in (stuck[0].error or "")

    # Parked: later runs leave it alone...
    await run_hooks(database, contents, plugins=[failing])
    assert seen == []
    # ...until it is retried on demand, with the plugin mended.
    mended = _recording_plugin(name, seen, patient.person_id)
    retried = await run_hooks(database, contents, plugins=[mended], retry_parked=True)
    assert retried.handled >= 1
    assert len(seen) == 1
    assert [event for event in await parked(database) if event.plugin == name] == []


async def test_a_hook_that_fails_leaves_none_of_its_writes(database, contents) -> None:
    """The hook's writes and the acknowledgement are one transaction."""
    patient = await make_patient(database)
    await deposit(database, contents, patient)
    name = f"half_{uuid.uuid4().hex[:8]}"

    async def writes_then_fails(event: HookEvent, context: HookContext) -> None:
        if event.patient_id == patient.person_id:
            await context.connection.execute(
                HookRun.__table__.insert().values(
                    plugin=f"{name}_trace",
                    event_id=event.id,
                    event_created_at=func.current_timestamp(),
                    status="DONE",
                    attempts=1,
                    updated_at=func.current_timestamp(),
                )
            )
            raise RuntimeError("after writing")

    plugin = Plugin(
        name=name, version="1", description="x", hooks={"dossier.document_added": writes_then_fails}
    )
    report = await run_hooks(database, contents, plugins=[plugin])
    assert report.failed == 1
    async with database.read() as connection:
        traces = await connection.scalar(select(func.count()).where(HookRun.plugin == f"{name}_trace"))
    assert traces == 0


async def test_measurements_and_documents_are_written_to_the_outbox_as_facts(database, contents) -> None:
    """Facts for hooks, not notifications: `espace outbox` (the notifications) never lists them."""
    from api.journal import outbox

    patient = await make_patient(database)
    await deposit(database, contents, patient)
    async with database.read() as connection:
        waiting = await outbox.pending(connection, limit=10_000)
    assert not [event for event in waiting if event.kind in outbox.FACTS]
