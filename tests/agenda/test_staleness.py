"""The agenda knows in one statement whether its items are current: every
change to what the rules read marks the space, and only then (or on a new
day, or new programmes) does a read recompute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from api.access.policy import VisibilityFlag
from api.access.service import Access
from api.agenda import service
from api.agenda.models import AgendaState
from api.dossier import service as dossier
from api.dossier.maintenance import release_hidden_documents
from api.dossier.models import Document
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from api.profile import service as profile
from api.profile.models import EntryKind
from api.reimbursements.importer import import_statements
from api.timezones import paris_today
from tests import factories
from tests.reimbursements.helpers import line, write_csv


async def _access_of(database, someone) -> Access:
    account = await find_account(database, str(someone.account_id))
    scopes = "documents:read documents:write profile:read profile:write"
    return Access(principal_for(account, {"client_id": "test", "jti": "t", "scope": scopes}), database)


async def _settled(database, patient) -> None:
    await service.refresh(database, patient.person_id)
    assert await service.refresh(database, patient.person_id) is False


async def test_a_current_agenda_costs_one_statement(database, count_statements) -> None:
    patient = await factories.make_patient(database)
    await _settled(database, patient)
    before = count_statements.count
    assert await service.refresh(database, patient.person_id) is False
    assert count_statements.count - before == 1


async def _deposit(database, contents, patient, tmp_path) -> None:
    await factories.deposit(database, contents, patient)


async def _measure(database, contents, patient, tmp_path) -> None:
    access = await _access_of(database, patient)
    await profile.add_measurement(
        access, patient.person_id, kind="WEIGHT", value=70, unit="kg", measured_at=None
    )


async def _profile_entry(database, contents, patient, tmp_path) -> None:
    access = await _access_of(database, patient)
    await profile.add_entry(
        access,
        patient.person_id,
        kind=EntryKind.VACCINATION,
        label="Grippe saisonnière",
        details=None,
        occurred_on=None,
    )


async def _hide(database, contents, patient, tmp_path) -> None:
    record = await factories.deposit(database, contents, patient)
    await _settled(database, patient)
    access = await _access_of(database, patient)
    await dossier.set_visibility(access, record.id, {VisibilityFlag.HIDDEN_FROM_REPRESENTATIVES: True})


async def _delete(database, contents, patient, tmp_path) -> None:
    record = await factories.deposit(database, contents, patient)
    await _settled(database, patient)
    await dossier.delete_document(await _access_of(database, patient), contents, record.id)


async def _release(database, contents, patient, tmp_path) -> None:
    record = await factories.deposit(database, contents, patient, hidden_from_patient=True)
    async with database.session() as session:
        await session.execute(
            update(Document)
            .where(Document.id == record.id)
            .values(deposited_at=datetime.now(UTC) - timedelta(days=60))
        )
    await _settled(database, patient)
    await release_hidden_documents(
        database, notice_after=timedelta(days=14), release_after=timedelta(days=30)
    )


async def _reimbursement(database, contents, patient, tmp_path) -> None:
    report = await import_statements(database, write_csv(tmp_path / "feed.csv", [line(patient.ins)]))
    assert report.imported == 1


@pytest.mark.parametrize(
    "change", [_deposit, _measure, _profile_entry, _hide, _delete, _release, _reimbursement]
)
async def test_each_change_to_what_the_rules_read_makes_the_next_read_recompute(
    database, contents, tmp_path, change
) -> None:
    patient = await factories.make_patient(database)
    await _settled(database, patient)
    await change(database, contents, patient, tmp_path)
    assert await service.refresh(database, patient.person_id) is True
    assert await service.refresh(database, patient.person_id) is False


async def test_a_new_day_or_new_programmes_recompute(database) -> None:
    patient = await factories.make_patient(database)
    await _settled(database, patient)
    tomorrow = paris_today() + timedelta(days=1)
    assert await service.refresh(database, patient.person_id, tomorrow) is True
    async with database.session() as session:
        await session.execute(
            update(AgendaState).where(AgendaState.patient_id == patient.person_id).values(inputs_mark="older")
        )
    assert await service.refresh(database, patient.person_id, tomorrow) is True
