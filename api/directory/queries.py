"""The statements that read the directory, each a single round trip."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    ScalarSelect,
    Select,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api.directory.models import Account, Operator, Organization, Patient, Professional, SpaceStatus
from api.directory.records import (
    AccountRecord,
    OrganizationRecord,
    PatientRecord,
    ProfessionalRecord,
)

PATIENT_COLUMNS = (
    Patient.id,
    Patient.ins,
    Patient.given_name,
    Patient.family_name,
    Patient.birth_date,
    Patient.sex,
    Patient.status,
)
PROFESSIONAL_COLUMNS = (
    Professional.id,
    Professional.rpps,
    Professional.title,
    Professional.given_name,
    Professional.family_name,
    Professional.profession,
    Professional.specialty,
    Professional.organization_id,
)
ORGANIZATION_COLUMNS = (Organization.id, Organization.name, Organization.kind, Organization.finess)


async def patients_by_ids(
    connection: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, PatientRecord]:
    rows = await connection.execute(select(*PATIENT_COLUMNS).where(Patient.id.in_(ids)))
    return {row.id: PatientRecord(*row) for row in rows}


async def professionals_by_ids(
    connection: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ProfessionalRecord]:
    query = select(*PROFESSIONAL_COLUMNS).where(Professional.id.in_(ids))
    return {row.id: ProfessionalRecord(*row) for row in await connection.execute(query)}


# The professionals with their organizations, in one statement (a professional's
# organization is asked for nearly every time one is shown).
_PROFESSIONALS_WITH_ORGANIZATIONS = (
    select(*PROFESSIONAL_COLUMNS, *ORGANIZATION_COLUMNS)
    .outerjoin(Organization, Organization.id == Professional.organization_id)
    .where(Professional.id.in_(bindparam("ids", expanding=True)))
)


async def professionals_with_organizations(
    connection: AsyncConnection, ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, ProfessionalRecord], dict[uuid.UUID, OrganizationRecord]]:
    professionals: dict[uuid.UUID, ProfessionalRecord] = {}
    organizations: dict[uuid.UUID, OrganizationRecord] = {}
    width = len(PROFESSIONAL_COLUMNS)
    for row in await connection.execute(_PROFESSIONALS_WITH_ORGANIZATIONS, {"ids": list(ids)}):
        professionals[row[0]] = ProfessionalRecord(*row[:width])
        if row[width] is not None:
            organizations[row[width]] = OrganizationRecord(*row[width:])
    return professionals, organizations


async def organizations_by_ids(
    connection: AsyncConnection, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, OrganizationRecord]:
    query = select(*ORGANIZATION_COLUMNS).where(Organization.id.in_(ids))
    return {row.id: OrganizationRecord(*row) for row in await connection.execute(query)}


@functools.cache
def account_query() -> Select[Any]:
    """Accounts with the person behind each (built once: statements are immutable,
    and assembling this one cost more than running it)."""
    space = literal(" ")
    professional_name = func.coalesce(Professional.title + space, "") + (
        Professional.given_name + space + Professional.family_name
    )
    display_name = case(
        (Account.patient_id.is_not(None), Patient.given_name + space + Patient.family_name),
        (Account.professional_id.is_not(None), professional_name),
        else_=Operator.given_name + space + Operator.family_name,
    )
    return (
        select(
            Account.id,
            Account.handle,
            Account.patient_id,
            Account.professional_id,
            Account.operator_id,
            display_name.label("display_name"),
            Professional.profession,
            Organization.name.label("organization_name"),
            func.coalesce(Professional.emergency_regulation, False).label("emergency_regulation"),
            Professional.organization_id,
        )
        .outerjoin(Patient, Patient.id == Account.patient_id)
        .outerjoin(Professional, Professional.id == Account.professional_id)
        .outerjoin(Organization, Organization.id == Professional.organization_id)
        .outerjoin(Operator, Operator.id == Account.operator_id)
    )


def account_by_id_query(account_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[Any]:
    """`account_query()` for one account; callers may add columns to it."""
    return account_query().where(Account.id == account_id)


def account_record(row: Row[Any]) -> AccountRecord:
    """The record of a row of `account_query()` (extra columns after it are ignored)."""
    return AccountRecord(*row[:10])


async def account_by_id(connection: AsyncConnection, account_id: uuid.UUID) -> AccountRecord | None:
    row = (await connection.execute(account_query().where(Account.id == account_id))).first()
    return account_record(row) if row else None


async def account_by_handle(connection: AsyncConnection, handle: str) -> AccountRecord | None:
    row = (await connection.execute(account_query().where(Account.handle == handle))).first()
    return account_record(row) if row else None


async def account_by_any_id(connection: AsyncConnection, some_id: uuid.UUID) -> AccountRecord | None:
    """The account whose id, or whose person's id, is `some_id`."""
    query = account_query().where(
        (Account.id == some_id)
        | (Account.patient_id == some_id)
        | (Account.professional_id == some_id)
        | (Account.operator_id == some_id)
    )
    row = (await connection.execute(query)).first()
    return account_record(row) if row else None


async def patient_id_by_ins(connection: AsyncConnection, ins: str) -> uuid.UUID | None:
    return await connection.scalar(select(Patient.id).where(Patient.ins == ins))


async def password_hash(connection: AsyncConnection, account_id: uuid.UUID) -> str | None:
    return await connection.scalar(select(Account.password_hash).where(Account.id == account_id))


def organization_name_of(organization_id: ColumnElement[Any]) -> ScalarSelect[Any]:
    """The name of an organization, as a scalar subquery other statements embed."""
    return select(Organization.name).where(Organization.id == organization_id).scalar_subquery()


async def professional_ids_by_rpps(connection: AsyncConnection, rpps: Sequence[str]) -> dict[str, uuid.UUID]:
    rows = await connection.execute(
        select(Professional.rpps, Professional.id).where(Professional.rpps.in_(rpps))
    )
    return {row.rpps: row.id for row in rows}


async def organization_ids_by_finess(
    connection: AsyncConnection, finess: Sequence[str]
) -> dict[str, uuid.UUID]:
    rows = await connection.execute(
        select(Organization.finess, Organization.id).where(Organization.finess.in_(finess))
    )
    return {row.finess: row.id for row in rows}


async def patient_ids_by_ins(connection: AsyncConnection, ins: Sequence[str]) -> dict[str, uuid.UUID]:
    rows = await connection.execute(select(Patient.ins, Patient.id).where(Patient.ins.in_(ins)))
    return {row.ins: row.id for row in rows}


async def open_patient_ids(
    connection: AsyncConnection, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The open spaces, a page at a time in id order (for jobs over every space)."""
    query = (
        select(Patient.id).where(Patient.status == SpaceStatus.OPEN.value).order_by(Patient.id).limit(limit)
    )
    if after is not None:
        query = query.where(Patient.id > after)
    return list(await connection.scalars(query))
