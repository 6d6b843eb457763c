"""Reading the reimbursement history: lists, one line, yearly summaries.

Every read by someone other than the patient is journaled; what a principal
may not see (api.access.reimbursements) is filtered in SQL, so it is neither
returned nor counted nor summed.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.agenda import reimbursements_as_evidence
from api.access.policy import Action, Relation, SpacePart
from api.access.reimbursements import reimbursements_visible_to, visible_reimbursements
from api.access.service import Access, SpaceAccess
from api.db import Count, count_of
from api.errors import BadUserInput, NotFound
from api.reimbursements.models import Reimbursement


@dataclass(frozen=True, slots=True)
class ReimbursementRecord:
    patient_id: uuid.UUID
    id: uuid.UUID
    care_date: date
    act_code: str
    act_label: str
    category: str
    professional_id: uuid.UUID | None
    professional_name: str | None
    charged_cents: int
    base_cents: int
    rate_percent: int
    reimbursed_cents: int
    complementary_cents: int
    participation_forfaitaire_cents: int
    franchise_cents: int
    out_of_pocket_cents: int
    paid_on: date | None


COLUMNS = (
    Reimbursement.patient_id,
    Reimbursement.id,
    Reimbursement.care_date,
    Reimbursement.act_code,
    Reimbursement.act_label,
    Reimbursement.category,
    Reimbursement.professional_id,
    Reimbursement.professional_name,
    Reimbursement.charged_cents,
    Reimbursement.base_cents,
    Reimbursement.rate_percent,
    Reimbursement.reimbursed_cents,
    Reimbursement.complementary_cents,
    Reimbursement.participation_forfaitaire_cents,
    Reimbursement.franchise_cents,
    Reimbursement.out_of_pocket_cents,
    Reimbursement.paid_on,
)
# The sums of a summary, in this order.
AMOUNTS = (
    "charged_cents",
    "base_cents",
    "reimbursed_cents",
    "complementary_cents",
    "participation_forfaitaire_cents",
    "franchise_cents",
    "out_of_pocket_cents",
)


@dataclass(frozen=True, slots=True)
class ReimbursementCriteria:
    care_date_from: date | None = None
    care_date_to: date | None = None
    categories: tuple[str, ...] = ()
    professional_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    lines: int
    charged_cents: int
    base_cents: int
    reimbursed_cents: int
    complementary_cents: int
    participation_forfaitaire_cents: int
    franchise_cents: int
    out_of_pocket_cents: int


@dataclass(frozen=True, slots=True)
class Summary:
    year: int
    totals: Totals
    by_category: dict[str, Totals]


def _visible(granted: SpaceAccess) -> Select:  # type: ignore[type-arg]
    return select(*COLUMNS).where(
        Reimbursement.patient_id == granted.patient_id, visible_reimbursements(granted, Reimbursement)
    )


def _position_after(care_date: date, reimbursement_id: uuid.UUID) -> ColumnElement[bool]:
    """What comes after (care_date, id) in newest-first order."""
    return or_(
        Reimbursement.care_date < care_date,
        and_(Reimbursement.care_date == care_date, Reimbursement.id < reimbursement_id),
    )


async def reimbursements_page(
    access: Access,
    patient_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[date, uuid.UUID] | None,
    criteria: ReimbursementCriteria | None = None,
) -> tuple[list[ReimbursementRecord], Count, bool]:
    """Newest care first: the page, how to count them all, whether more follow."""
    granted = await access.space(patient_id, Action.READ, SpacePart.REIMBURSEMENTS)
    criteria = criteria or ReimbursementCriteria()
    if criteria.care_date_from and criteria.care_date_to and criteria.care_date_from > criteria.care_date_to:
        raise BadUserInput("The date range ends before it starts.", field="filter")
    query = _visible(granted)
    if criteria.care_date_from is not None:
        query = query.where(Reimbursement.care_date >= criteria.care_date_from)
    if criteria.care_date_to is not None:
        query = query.where(Reimbursement.care_date <= criteria.care_date_to)
    if criteria.categories:
        query = query.where(Reimbursement.category.in_(criteria.categories))
    if criteria.professional_id is not None:
        query = query.where(Reimbursement.professional_id == criteria.professional_id)
    page_query = query.order_by(Reimbursement.care_date.desc(), Reimbursement.id.desc()).limit(limit + 1)
    if after is not None:
        page_query = page_query.where(_position_after(*after))
    async with access.database.read() as connection:
        rows = [ReimbursementRecord(*row) for row in await connection.execute(page_query)]
    for record in rows[:limit]:
        access.read(granted, "Reimbursement", record.id)
    return rows[:limit], count_of(access.database, query), len(rows) > limit


async def read_reimbursement(access: Access, reimbursement_id: uuid.UUID) -> ReimbursementRecord:
    """One line; NOT_FOUND when it does not exist or is withheld from the principal."""
    async with access.database.read() as connection:
        patient_id = await connection.scalar(
            select(Reimbursement.patient_id).where(Reimbursement.id == reimbursement_id)
        )
    if patient_id is None:
        raise NotFound("No such reimbursement.")
    granted = await access.space(patient_id, Action.READ, SpacePart.REIMBURSEMENTS)
    async with access.database.read() as connection:
        row = (
            await connection.execute(_visible(granted).where(Reimbursement.id == reimbursement_id))
        ).first()
    if row is None:
        access.denied(granted.facts, "Reimbursement")  # withheld from this reader
        raise NotFound("No such reimbursement.")
    access.read(granted, "Reimbursement", reimbursement_id)
    return ReimbursementRecord(*row)


@functools.cache
def _summary_query(relation: Relation) -> Select[Any]:
    """The year's sums by category, for what this relation may see; built once per
    relation (assembling it cost more than running it)."""
    sums = [func.coalesce(func.sum(getattr(Reimbursement, name)), 0) for name in AMOUNTS]
    return (
        select(Reimbursement.category, func.count(), *sums)
        .where(
            Reimbursement.patient_id == bindparam("patient_id"),
            reimbursements_visible_to(relation, Reimbursement),
            Reimbursement.care_date >= bindparam("first_day"),
            Reimbursement.care_date <= bindparam("last_day"),
        )
        .group_by(Reimbursement.category)
        .order_by(Reimbursement.category)
    )


async def summary(access: Access, patient_id: uuid.UUID, year: int) -> Summary:
    """The year's totals by category, summed in SQL over what the principal may see."""
    if not 1900 <= year <= 9999:
        raise BadUserInput("A year from 1900.", field="year")
    granted = await access.space(patient_id, Action.READ, SpacePart.REIMBURSEMENTS)
    parameters = {"patient_id": patient_id, "first_day": date(year, 1, 1), "last_day": date(year, 12, 31)}
    async with access.database.read() as connection:
        by_category = {
            row[0]: Totals(*(int(value) for value in row[1:]))
            for row in await connection.execute(_summary_query(granted.relation), parameters)
        }
    totals = Totals(*(sum(getattr(t, name) for t in by_category.values()) for name in ("lines", *AMOUNTS)))
    access.read(granted, "ReimbursementSummary", patient_id)
    return Summary(year, totals, by_category)


async def agenda_evidence(
    connection: AsyncConnection, patient_id: uuid.UUID
) -> list[tuple[str, str, str, date]]:
    """(id, act code, label, day of care) of the acts that may mark a prevention item
    done; not a minor's confidential care (the agenda is read by the representatives)."""
    rows = await connection.execute(
        select(Reimbursement.id, Reimbursement.act_code, Reimbursement.act_label, Reimbursement.care_date)
        .where(Reimbursement.patient_id == patient_id, reimbursements_as_evidence(Reimbursement))
        .order_by(Reimbursement.id)
    )
    return [(str(row.id), row.act_code, row.act_label, row.care_date) for row in rows]
