"""Fresh people for tests that change relationships, so that no test leans on
another's leftovers. Each call makes new rows with valid identifiers."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from api.access.models import (
    AccessPreferences,
    Block,
    CareRelationship,
    CareRole,
    EmergencyAccess,
    Representation,
)
from api.db import Database, new_id, utcnow
from api.directory.identifiers import ins_key, luhn_check_digit
from api.directory.models import Account, Organization, Patient, Professional
from api.graphql.ids import encode_id

_counter = itertools.count(1)
# Patients' INS serials: from a random start, so that runs on a kept database do not meet either.
_ins_serial = itertools.count(random.randrange(1_000, 500_000))  # noqa: S311 - test data


@dataclass(frozen=True)
class Person:
    handle: str
    account_id: uuid.UUID
    person_id: uuid.UUID
    name: str

    @property
    def global_id(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class TestPatient(Person):
    ins: str = ""

    @property
    def global_id(self) -> str:
        return encode_id("Patient", self.person_id)


@dataclass(frozen=True)
class TestProfessional(Person):
    @property
    def global_id(self) -> str:
        return encode_id("Professional", self.person_id)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


async def make_patient(
    database: Database, *, birth_date: date = date(1980, 5, 17), sex: str = "F"
) -> TestPatient:
    handle = _unique("patient")
    # A serial, not a random draw: two patients of a run never share an INS (a birthday
    # paradox over random digits made a run fail now and then).
    serial = next(_ins_serial)
    nir = f"{2 if sex == 'F' else 1}{birth_date:%y%m}75{serial // 1000 % 1000:03d}{serial % 1000:03d}"
    ins = f"{nir}{ins_key(nir):02d}"
    async with database.session() as session:
        patient = Patient(
            id=new_id(), ins=ins, given_name="Test", family_name=handle, birth_date=birth_date, sex=sex
        )
        session.add(patient)
        await session.flush()
        account = Account(id=new_id(), handle=handle, patient_id=patient.id)
        session.add(account)
    return TestPatient(handle, account.id, patient.id, f"Test {handle}", ins)


async def make_professional(
    database: Database, *, profession: str = "physician", emergency_regulation: bool = False
) -> TestProfessional:
    handle = _unique("pro")
    payload = f"19{random.randint(10**7, 10**8 - 1)}"  # noqa: S311
    rpps = payload + str(luhn_check_digit(payload))
    async with database.session() as session:
        organization = Organization(id=new_id(), name=f"Org {handle}", kind="PRIVATE_PRACTICE")
        session.add(organization)
        await session.flush()
        professional = Professional(
            id=new_id(),
            rpps=rpps,
            given_name="Pro",
            family_name=handle,
            profession=profession,
            organization_id=organization.id,
            emergency_regulation=emergency_regulation,
        )
        session.add(professional)
        await session.flush()
        account = Account(id=new_id(), handle=handle, professional_id=professional.id)
        session.add(account)
    return TestProfessional(handle, account.id, professional.id, f"Pro {handle}")


async def add_to_care_team(
    database: Database,
    patient: TestPatient,
    professional: TestProfessional,
    role: CareRole = CareRole.DECLARED_BY_PATIENT,
) -> None:
    async with database.session() as session:
        session.add(
            CareRelationship(
                patient_id=patient.person_id,
                professional_id=professional.person_id,
                role=role,
                since=date(2025, 1, 1),
                declared_by_account_id=patient.account_id,
            )
        )


async def block(database: Database, patient: TestPatient, professional: TestProfessional) -> None:
    async with database.session() as session:
        session.add(Block(patient_id=patient.person_id, professional_id=professional.person_id))


async def represent(
    database: Database,
    patient: TestPatient,
    representative: TestPatient,
    *,
    kind: str = "LEGAL_REPRESENTATIVE",
    parts: str = "",
    expires_at: datetime | None = None,
) -> None:
    async with database.session() as session:
        session.add(
            Representation(
                patient_id=patient.person_id,
                representative_id=representative.person_id,
                kind=kind,
                parts=parts,
                expires_at=expires_at,
            )
        )


async def open_emergency(
    database: Database,
    patient: TestPatient,
    professional: TestProfessional,
    *,
    expires_in: timedelta = timedelta(hours=1),
) -> None:
    async with database.session() as session:
        session.add(
            EmergencyAccess(
                patient_id=patient.person_id,
                professional_id=professional.person_id,
                reason="Unconscious patient brought to the emergency room",
                regulation=False,
                opened_at=utcnow(),
                expires_at=utcnow() + expires_in,
            )
        )


async def refuse_emergency(database: Database, patient: TestPatient) -> None:
    async with database.session() as session:
        session.add(
            AccessPreferences(
                patient_id=patient.person_id,
                refuses_emergency_access=True,
                notify_new_professional=True,
                notify_new_document=True,
            )
        )


async def deposit(
    database: Database,
    contents,
    patient: TestPatient,
    *,
    by: TestProfessional | None = None,
    type_code: str = "11502-2",
    title: str = "Hémoglobine glyquée (HbA1c)",
    content: bytes = b"HbA1c 7.1 %, hemoglobine glyquee en baisse.",
    declared_type: str = "text/plain",
    **flags: bool,
):
    """A document deposited through the service, by a professional or the patient,
    then given the visibility `flags` directly (masked_from_professionals=True...)."""
    from sqlalchemy import select, update

    from api.access.service import Access
    from api.dossier import service
    from api.dossier.models import Document
    from api.identity.dev_tokens import find_account
    from api.identity.service import principal_for

    account = await find_account(database, str((by or patient).account_id))
    principal = principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:write"})
    access = Access(principal, database)
    request = service.DepositRequest(
        patient_id=patient.person_id,
        patient_ins=None,
        title=title,
        type_code=type_code,
        service_date=None,
        hidden_from_patient=False,
    )
    record = await service.deposit(
        access, contents, request, service.Upload(content, "result.txt", declared_type), max_bytes=10**6
    )
    if flags:
        async with database.session() as session:
            await session.execute(update(Document).where(Document.id == record.id).values(**flags))
        async with database.read() as connection:
            row = (await connection.execute(select(*service.COLUMNS).where(Document.id == record.id))).one()
        record = type(record)(*row)
    return record
