"""GraphQL of the catalogue: the public listing and the operators' vetting."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from api.catalogue import service
from api.catalogue.manifest import AppCategory
from api.catalogue.models import AppStatus
from api.catalogue.records import AppRecord
from api.catalogue.service import Decision
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.pagination import MAX_SQL_INTEGER, PageInfo, decode_cursor, encode_cursor, page_size
from api.graphql.payloads import UserError
from api.graphql.permissions import first_party_only
from api.identity.scopes import available, scope_label

strawberry.enum(AppStatus, description="Where an app stands in the vetting workflow.")
strawberry.enum(AppCategory, description="The field an app serves.")
strawberry.enum(Decision, description="An operator's decision on an app.")

CURSOR_KIND = "catalogue"


@strawberry.enum(description="Language of texts shown to people.")
class Language(Enum):
    FR = "fr"
    EN = "en"


@strawberry.type(description="A scope, explained in plain words.")
class ScopeDescription:
    scope: str = strawberry.field(description="The scope, e.g. agenda:read.")
    label: str = strawberry.field(description="What it allows, in a few words.")
    description: str = strawberry.field(description="What it allows, in a sentence.")
    justification: str | None = strawberry.field(
        description="Why the app asks for it (its publisher's words)."
    )

    @classmethod
    def of(cls, scope: str, language: Language, justification: str | None = None) -> ScopeDescription:
        labels = scope_label(scope)
        french = language is Language.FR
        return cls(
            scope=scope,
            label=labels.label_fr if french else labels.label_en,
            description=labels.description_fr if french else labels.description_en,
            justification=justification,
        )


@strawberry.type(description="One step of an app's vetting.")
class AppReviewStep:
    at: datetime = strawberry.field(description="When.")
    actor_name: str = strawberry.field(description="Who: an operator, or the catalogue sync.")
    decision: str = strawberry.field(description="What was decided.")
    from_status: AppStatus | None = strawberry.field(description="Status before.")
    to_status: AppStatus = strawberry.field(description="Status after.")
    scopes: list[str] = strawberry.field(description="Scopes vetted, or awaiting review.")
    comment: str = strawberry.field(description="Why.")


@strawberry.type(description="A third-party app of the public catalogue.")
class CatalogueApp(relay.Node):
    id: relay.NodeID[str]
    client_id: str = strawberry.field(description="OAuth client id.")
    name: str = strawberry.field(description="Name of the app.")
    publisher: str = strawberry.field(description="The publisher's name.")
    publisher_siren: str = strawberry.field(description="The publisher's SIREN number.")
    category: AppCategory = strawberry.field(
        description="Follow-up of care, diagnosis, prevention, well-being."
    )
    status: AppStatus = strawberry.field(description="Where it stands in the vetting workflow.")
    homepage: str | None = strawberry.field(description="The app's website.")
    privacy_policy_url: str = strawberry.field(description="The app's privacy policy.")
    referenced_at: datetime | None = strawberry.field(description="When it was first referenced.")
    record: strawberry.Private[AppRecord]

    @classmethod
    def from_record(cls, record: AppRecord) -> CatalogueApp:
        return cls(
            id=str(record.id),
            client_id=record.client_id,
            name=record.name,
            publisher=record.publisher_name,
            publisher_siren=record.publisher_siren,
            category=AppCategory(record.category),
            status=AppStatus(record.status),
            homepage=record.homepage,
            privacy_policy_url=record.privacy_policy_url,
            referenced_at=record.referenced_at,
            record=record,
        )

    @strawberry.field(description="What the app does.")
    def description(self, language: Language = Language.FR) -> str:
        return self.record.description_fr if language is Language.FR else self.record.description_en

    @strawberry.field(description="Scopes the app may ask for (vetted), each explained and justified.")
    def scopes(self, language: Language = Language.FR) -> list[ScopeDescription]:
        return [
            ScopeDescription.of(scope, language, self.record.justification(scope))
            for scope in available(self.record.vetted_scopes)
        ]

    @strawberry.field(description="Scopes the manifest asks for that operators have not vetted yet.")
    def pending_scopes(self) -> list[str]:
        return self.record.pending_scopes

    @strawberry.field(description="Every step of the vetting. Operators only.", **first_party_only())
    async def review_history(self, info: Info) -> list[AppReviewStep] | None:
        steps = await service.history(info.context.require_access(), self.record.id)
        return [
            AppReviewStep(
                at=step.at,
                actor_name=step.actor_name,
                decision=step.decision,
                from_status=AppStatus(step.from_status) if step.from_status else None,
                to_status=AppStatus(step.to_status),
                scopes=step.scopes,
                comment=step.comment,
            )
            for step in steps
        ]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CatalogueApp | None]:
        ids = [uuid.UUID(node_id) for node_id in node_ids]
        found = await service.apps_by_ids(info.context.database, ids, access=info.context.access)
        return [cls.from_record(found[i]) if i in found else None for i in ids]


@strawberry.type(description="An app and its cursor.")
class CatalogueAppEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this app.")
    node: CatalogueApp = strawberry.field(description="The app.")


@strawberry.type(description="A page of the catalogue, by name.")
class CatalogueAppConnection:
    edges: list[CatalogueAppEdge] = strawberry.field(description="The apps of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="Apps matching the query.")


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="The public catalogue of referenced apps; no token needed.")
    async def catalogue(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: AppCategory | None = None,
        search: str | None = None,
    ) -> CatalogueAppConnection:
        return await _page(
            info, AppStatus.REFERENCED, first=first, after=after, category=category, search=search
        )

    @strawberry.field(description="A referenced app by client id; no token needed.")
    async def catalogue_app(self, info: Info, client_id: str) -> CatalogueApp | None:
        record = await service.app_by_client_id(info.context.database, client_id, access=info.context.access)
        return CatalogueApp.from_record(record) if record else None

    @strawberry.field(
        description="Apps in any status of the vetting workflow. Operators only.", **first_party_only()
    )
    async def catalogue_review_queue(
        self, info: Info, status: AppStatus, first: int | None = None, after: str | None = None
    ) -> CatalogueAppConnection | None:
        info.context.require_access()
        return await _page(info, status, first=first, after=after, category=None, search=None)


async def _page(
    info: Info,
    status: AppStatus,
    *,
    first: int | None,
    after: str | None,
    category: AppCategory | None,
    search: str | None,
) -> CatalogueAppConnection:
    limit = page_size(first)
    offset = decode_cursor(CURSOR_KIND, after, maximum=MAX_SQL_INTEGER) or 0
    records, total = await service.list_apps(
        info.context.database,
        access=info.context.access,
        status=status,
        category=category.value if category else None,
        search=search,
        limit=limit,
        offset=offset,
    )
    edges = [
        CatalogueAppEdge(
            cursor=encode_cursor(CURSOR_KIND, offset + index + 1), node=CatalogueApp.from_record(record)
        )
        for index, record in enumerate(records)
    ]
    return CatalogueAppConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(records) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


@strawberry.input(description="An operator's decision on an app.")
class ReviewAppInput:
    client_id: str = strawberry.field(description="The app.")
    decision: Decision = strawberry.field(description="What the operator decides.")
    comment: str = strawberry.field(description="Why; kept in the app's vetting history.")


@strawberry.type(description="The app a review changed.")
class CatalogueAppPayload:
    app: CatalogueApp | None = strawberry.field(description="The app, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(
        description="Operators only: moves an app through the vetting workflow.", **first_party_only()
    )
    async def review_app(self, info: Info, input: ReviewAppInput) -> CatalogueAppPayload:
        try:
            record = await service.review_app(
                info.context.require_access(), input.client_id, input.decision, input.comment
            )
        except BadUserInput as error:
            return CatalogueAppPayload(app=None, user_errors=UserError.from_error(error))
        return CatalogueAppPayload(app=CatalogueApp.from_record(record), user_errors=[])
