"""What a review of the plugin interface found, each held by a test: data
derived from documents shown only to who may read the documents (and those
reads journaled), a failing hook tried once per run, a DONE never turned
FAILED, a plugin's bad programmes leaving the plugin out, manifests naming
only real scopes, and the patient's marks marking the agenda."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from api import plugins
from api.agenda import service as agenda
from api.agenda.models import AgendaItem
from api.hooks import DONE, _mark, _Pending, run_hooks
from api.identity.scopes import may_name
from api.journal.models import HookRun
from api.plugin_context import HookContext
from api.plugins import HookEvent, Plugin, PluginError, discover
from api.settings import Settings
from tests import factories
from tests.conftest import needs_plugin
from tests.journal.helpers import entries
from tests.plugins.vaccination.test_vaccination_status import STATUS, deposit, note, run_hook


@needs_plugin("vaccination")
async def test_a_caregiver_of_the_profile_only_sees_no_dose_read_from_a_note(
    gql, database, contents, token_of
) -> None:
    patient = await factories.make_patient(database, birth_date=date(1960, 3, 1), sex="M")
    caregiver = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp)
    await factories.represent(database, patient, caregiver, kind="CAREGIVER", parts="PROFILE")
    record = await deposit(
        database, contents, patient, by=gp, type_code="11369-6", title="Vaccinations",
        content=note(("Shingrix", "2025-04-01")),
    )  # fmt: skip
    await run_hook(database, contents, patient, record)

    body = await gql(STATUS, {"id": patient.global_id}, token=await token_of(caregiver))
    assert body["data"]["patient"]["vaccinationStatus"]["done"] == []

    seen = await gql(STATUS, {"id": patient.global_id}, token=await token_of(gp))
    assert [d["vaccine"] for d in seen["data"]["patient"]["vaccinationStatus"]["done"]] == ["Shingrix"]
    # The note the GP was shown a dose of is journaled as read, by its id.
    logged = {(e.object_type, e.object_id) for e in await entries(database, patient.person_id)}
    assert ("Document", str(record.id)) in logged


async def test_a_failing_hook_is_tried_once_per_run_even_over_full_batches(database, contents) -> None:
    patient = await factories.make_patient(database)
    for _ in range(4):
        await factories.deposit(database, contents, patient)
    calls: list[uuid.UUID] = []

    async def fails_on_the_first(event: HookEvent, context: HookContext) -> None:
        if event.patient_id == patient.person_id:
            calls.append(event.id)
            if len(set(calls)) == 1:
                raise RuntimeError("transient")

    name = f"once_{uuid.uuid4().hex[:8]}"
    plugin = Plugin(
        name=name, version="1", description="x", hooks={"dossier.document_added": fails_on_the_first}
    )
    report = await run_hooks(database, contents, plugins=[plugin], batch=2)
    assert calls.count(calls[0]) == 1  # not retried within the run, so never parked by one run
    assert report.parked == 0
    await run_hooks(database, contents, plugins=[plugin], batch=2)
    assert calls.count(calls[0]) == 2


async def test_a_run_that_lost_a_race_never_turns_done_into_failed(database) -> None:
    event = HookEvent(uuid.uuid4(), "dossier.document_added", None, {})
    item = _Pending(event, datetime.now(UTC), 0)
    async with database.session() as session:
        await _mark(await session.connection(), "race", item, status=DONE, error=None)
    async with database.session() as session:
        await _mark(await session.connection(), "race", item, status="FAILED", error="late loser")
    async with database.read() as connection:
        status = await connection.scalar(
            select(HookRun.status).where(HookRun.plugin == "race", HookRun.event_id == event.id)
        )
    assert status == DONE


class _Entry(SimpleNamespace):
    def load(self) -> object:
        return self.value


def test_a_plugin_whose_programmes_do_not_hold_is_left_out(monkeypatch, tmp_path: Path) -> None:
    bad = tmp_path / "programmes.toml"
    bad.write_text('version = "1"\n[programmes.colorectal-screening]\ntitle = "taken"\n', encoding="utf-8")
    plugin = Plugin(name="badprog", version="1", description="x", programmes=bad)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [_Entry(name="badprog", value=plugin)])
    found = discover(Settings(_env_file=None))
    assert found.enabled == ()
    assert "already defined" in found.failures[0].error


def test_reserved_names_are_refused() -> None:
    with pytest.raises(PluginError, match="reserved"):
        Plugin(name="core", version="1", description="x").check()


@needs_plugin("glycemia")
def test_a_manifest_names_only_the_real_scopes_of_an_enabled_plugin() -> None:
    assert may_name("glycemia:read")
    assert not may_name("glycemia:anything")


async def test_a_mark_marks_the_agenda_in_its_own_transaction(database, monkeypatch) -> None:
    """Even when the refresh after the decision does not happen, the next read recomputes."""
    from api.access.service import Access
    from api.agenda.models import ItemStatus
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    patient = await factories.make_patient(database, birth_date=date(1960, 3, 1))
    await agenda.refresh(database, patient.person_id)
    async with database.read() as connection:
        item_id = await connection.scalar(
            select(AgendaItem.id).where(
                AgendaItem.patient_id == patient.person_id, AgendaItem.rule_code.is_not(None)
            )
        )
    assert item_id is not None
    account = await find_account(database, str(patient.account_id))
    access = Access(principal_for(account, {"client_id": "t", "jti": "t", "scope": "agenda:write"}), database)

    async def no_refresh(*args: object, **kwargs: object) -> bool:
        return False

    monkeypatch.setattr(agenda, "refresh", no_refresh)
    await agenda.decide(access, item_id, status=ItemStatus.DONE, snoozed_until=None)
    monkeypatch.undo()
    assert await agenda.refresh(database, patient.person_id) is True


def test_of_two_plugins_defining_the_same_programme_the_second_is_left_out(
    monkeypatch, tmp_path: Path
) -> None:
    text = (
        'version = "1"\n[programmes.demo-checkup]\ntitle = "Bilan de démonstration"\nkind = "CHECKUP"\n'
        'source = "Un guide de démonstration"\neligible = [{ min_age = "40y" }]\n'
        'schedule = { type = "recurring", every = "1y" }\n'
        'done_by = [{ kind = "DOCUMENT", codes = ["11488-4"] }]\n'
    )
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text(text, encoding="utf-8")
    second.write_text(text, encoding="utf-8")
    entries = [
        _Entry(name="first", value=Plugin(name="first", version="1", description="x", programmes=first)),
        _Entry(name="second", value=Plugin(name="second", version="1", description="x", programmes=second)),
    ]
    monkeypatch.setattr(plugins, "entry_points", lambda group: entries)
    found = discover(Settings(_env_file=None))
    assert [plugin.name for plugin in found.enabled] == ["first"]
    assert [failure.name for failure in found.failures] == ["second"]
    assert "already defined" in found.failures[0].error
