"""GraphQL of the reimbursement history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from enum import Enum

import strawberry
from strawberry import relay

from api.db import Count
from api.directory import service as directory
from api.directory.types import PatientFields, Professional
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.ids import decode_id
from api.graphql.pagination import (
    PageInfo,
    decode_day_keyset,
    encode_day_keyset,
    page_info,
    page_size,
)
from api.graphql.permissions import scoped
from api.identity.scopes import Scope
from api.reimbursements import service
from api.reimbursements.models import CareCategory

CURSOR_KIND = "reimbursements"

strawberry.enum(CareCategory, description="Category of care, as the health insurance groups it.")


@strawberry.enum(description="A yearly deductible of the health insurance.")
class DeductibleKind(Enum):
    PARTICIPATION_FORFAITAIRE = "PARTICIPATION_FORFAITAIRE"
    FRANCHISE = "FRANCHISE"


@strawberry.type(description="A line of the health insurance's statements.")
class Reimbursement(relay.Node):
    id: relay.NodeID[str]
    care_date: date = strawberry.field(description="Day of the care.")
    act_code: str = strawberry.field(description="CCAM or NGAP code of the act.")
    act_label: str = strawberry.field(description="What the act was.")
    category: CareCategory = strawberry.field(description="Category of care.")
    professional_name: str | None = strawberry.field(
        description="The professional, as the statement names them."
    )
    charged_cents: int = strawberry.field(description="Amount charged.")
    base_cents: int = strawberry.field(description="The insurance's reimbursement base.")
    rate_percent: int = strawberry.field(description="Reimbursement rate, e.g. 70.")
    reimbursed_cents: int = strawberry.field(description="Reimbursed by the health insurance.")
    complementary_cents: int = strawberry.field(description="Reimbursed by the complementary insurer.")
    participation_forfaitaire_cents: int = strawberry.field(description="Participation forfaitaire deducted.")
    franchise_cents: int = strawberry.field(description="Franchise médicale deducted.")
    out_of_pocket_cents: int = strawberry.field(description="What remained to pay.")
    paid_at: date | None = strawberry.field(description="Day of the payment.")
    record: strawberry.Private[service.ReimbursementRecord]

    @classmethod
    def from_record(cls, record: service.ReimbursementRecord) -> Reimbursement:
        return cls(
            id=str(record.id),
            care_date=record.care_date,
            act_code=record.act_code,
            act_label=record.act_label,
            category=CareCategory(record.category),
            professional_name=record.professional_name,
            charged_cents=record.charged_cents,
            base_cents=record.base_cents,
            rate_percent=record.rate_percent,
            reimbursed_cents=record.reimbursed_cents,
            complementary_cents=record.complementary_cents,
            participation_forfaitaire_cents=record.participation_forfaitaire_cents,
            franchise_cents=record.franchise_cents,
            out_of_pocket_cents=record.out_of_pocket_cents,
            paid_at=record.paid_on,
            record=record,
        )

    @strawberry.field(description="The professional, when the directory knows them (by RPPS).")
    async def professional(self, info: Info) -> Professional | None:
        if self.record.professional_id is None:
            return None
        found = await directory.read_professional(
            info.context.require_access(),
            info.context.loaders.professional_by_id,
            self.record.professional_id,
        )
        return Professional.from_record(found) if found else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Reimbursement | None]:
        access = info.context.require_access()
        return [
            cls.from_record(await service.read_reimbursement(access, uuid.UUID(node_id)))
            for node_id in node_ids
        ]


@strawberry.type(description="A reimbursement and its cursor.")
class ReimbursementEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: Reimbursement = strawberry.field(description="The reimbursement.")


@strawberry.type(description="Reimbursements, newest care first.")
class ReimbursementConnection:
    edges: list[ReimbursementEdge] = strawberry.field(description="This page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    counter: strawberry.Private[Count]

    @strawberry.field(description="Lines the caller may see, in all. Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.input(description="Narrow the reimbursements.")
class ReimbursementFilter:
    care_date_from: date | None = strawberry.field(default=None, description="Care on or after this day.")
    care_date_to: date | None = strawberry.field(default=None, description="Care on or before this day.")
    categories: list[CareCategory] | None = strawberry.field(
        default=None, description="Only these categories."
    )
    professional_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this professional."
    )

    def criteria(self) -> service.ReimbursementCriteria:
        professional = None
        if self.professional_id is not None:
            try:
                professional = decode_id(self.professional_id, "Professional")[1]
            except BadUserInput as error:
                raise BadUserInput(error.message, field="filter.professionalId") from error
        return service.ReimbursementCriteria(
            care_date_from=self.care_date_from,
            care_date_to=self.care_date_to,
            categories=tuple(category.value for category in self.categories or []),
            professional_id=professional,
        )


@strawberry.type(description="Sums over a set of statement lines.")
class ReimbursementTotals:
    lines: int = strawberry.field(description="How many lines.")
    charged_cents: int = strawberry.field(description="Charged.")
    base_cents: int = strawberry.field(description="Reimbursement base.")
    reimbursed_cents: int = strawberry.field(description="Reimbursed by the health insurance.")
    complementary_cents: int = strawberry.field(description="Reimbursed by the complementary insurer.")
    out_of_pocket_cents: int = strawberry.field(description="Remained to pay.")

    @classmethod
    def of(cls, totals: service.Totals) -> ReimbursementTotals:
        return cls(
            lines=totals.lines,
            charged_cents=totals.charged_cents,
            base_cents=totals.base_cents,
            reimbursed_cents=totals.reimbursed_cents,
            complementary_cents=totals.complementary_cents,
            out_of_pocket_cents=totals.out_of_pocket_cents,
        )


@strawberry.type(description="The totals of one category of care.")
class ReimbursementCategoryTotal(ReimbursementTotals):
    category: CareCategory = strawberry.field(description="The category.")


@strawberry.type(description="A yearly deductible counted against its cap.")
class DeductibleTotal:
    kind: DeductibleKind = strawberry.field(description="Which deductible.")
    deducted_cents: int = strawberry.field(description="Deducted this year.")
    cap_cents: int = strawberry.field(description="The yearly cap.")
    remaining_cents: int = strawberry.field(description="What may still be deducted this year.")
    cap_reached: bool = strawberry.field(
        description="The cap is reached: nothing more is deducted this year."
    )


@strawberry.type(description="A year of reimbursements, summed.")
class ReimbursementSummary:
    year: int = strawberry.field(description="The year of the care.")
    charged_cents: int = strawberry.field(description="Charged.")
    reimbursed_cents: int = strawberry.field(description="Reimbursed by the health insurance.")
    complementary_cents: int = strawberry.field(description="Reimbursed by the complementary insurer.")
    out_of_pocket_cents: int = strawberry.field(description="Remained to pay.")
    totals: ReimbursementTotals = strawberry.field(description="Every sum of the year.")
    by_category: list[ReimbursementCategoryTotal] = strawberry.field(description="Per category of care.")
    deductibles: list[DeductibleTotal] = strawberry.field(
        description="The deductibles and their yearly caps."
    )


def _summary(found: service.Summary, caps: dict[DeductibleKind, int]) -> ReimbursementSummary:
    deducted = {
        DeductibleKind.PARTICIPATION_FORFAITAIRE: found.totals.participation_forfaitaire_cents,
        DeductibleKind.FRANCHISE: found.totals.franchise_cents,
    }
    return ReimbursementSummary(
        year=found.year,
        charged_cents=found.totals.charged_cents,
        reimbursed_cents=found.totals.reimbursed_cents,
        complementary_cents=found.totals.complementary_cents,
        out_of_pocket_cents=found.totals.out_of_pocket_cents,
        totals=ReimbursementTotals.of(found.totals),
        by_category=[
            ReimbursementCategoryTotal(
                category=CareCategory(category), **vars(ReimbursementTotals.of(totals))
            )
            for category, totals in found.by_category.items()
        ],
        deductibles=[
            DeductibleTotal(
                kind=kind,
                deducted_cents=deducted[kind],
                cap_cents=cap,
                remaining_cents=max(cap - deducted[kind], 0),
                cap_reached=deducted[kind] >= cap,
            )
            for kind, cap in caps.items()
        ],
    )


@strawberry.type
class PatientReimbursementFields(PatientFields):
    """The reimbursement part of `Patient`."""

    @strawberry.field(
        description="The care reimbursed by the health insurance, newest first. Journaled when read by "
        "anyone but the patient; a minor's confidential care is withheld from representatives.",
        **scoped(Scope.REIMBURSEMENTS_READ),
    )
    async def reimbursements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ReimbursementFilter | None = None,
    ) -> ReimbursementConnection | None:
        limit = page_size(first)
        start = decode_day_keyset(CURSOR_KIND, after)
        records, total, more = await service.reimbursements_page(
            info.context.require_access(),
            self.record.id,
            limit=limit,
            after=start,
            criteria=filter.criteria() if filter else None,
        )
        edges = [
            ReimbursementEdge(
                cursor=encode_day_keyset(CURSOR_KIND, record.care_date, record.id),
                node=Reimbursement.from_record(record),
            )
            for record in records
        ]
        return ReimbursementConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
            counter=total,
        )

    @strawberry.field(
        description="A year of care (Europe/Paris days) summed by category, with the deductibles "
        "counted against their yearly caps.",
        **scoped(Scope.REIMBURSEMENTS_READ),
    )
    async def reimbursement_summary(self, info: Info, year: int) -> ReimbursementSummary | None:
        found = await service.summary(info.context.require_access(), self.record.id, year)
        settings = info.context.settings
        return _summary(
            found,
            {
                DeductibleKind.PARTICIPATION_FORFAITAIRE: settings.participation_forfaitaire_cap_cents,
                DeductibleKind.FRANCHISE: settings.franchise_cap_cents,
            },
        )
