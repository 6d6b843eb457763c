"""The schema, assembled in one place from the areas' query and mutation mixins."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api import plugins
from api.access.types import AccessMutation
from api.agenda.types import AgendaItem, AgendaMutation, AgendaReminderMutation
from api.catalogue.types import CatalogueApp, CatalogueMutation, CatalogueQuery
from api.directory.types import DirectoryQuery, Organization, Professional
from api.dossier.types import Document, DossierDeletionMutation, DossierMutation, DossierVisibilityMutation
from api.graphql.budget import QueryBudget
from api.graphql.errors import ErrorPresentation
from api.graphql.limits import QueryLimits
from api.graphql.node import NodeQuery
from api.graphql.patient import Patient
from api.graphql.websocket import SubscriptionsOnlyOverWebSocket
from api.identity.types import IdentityQuery
from api.indicators.types import IndicatorsQuery
from api.journal.types import AccessLogEntry
from api.messaging.types import Message, MessagingMutation, MessagingSubscription, Thread
from api.oauth.types import OAuthMutation
from api.profile.types import ProfileMutation
from api.reimbursements.types import Reimbursement
from api.settings import Settings


@strawberry.type(description="The entry points of the API.")
class Query(IdentityQuery, DirectoryQuery, CatalogueQuery, IndicatorsQuery, NodeQuery):
    pass


CORE_MUTATIONS = (
    AccessMutation,
    DossierMutation,
    DossierVisibilityMutation,
    DossierDeletionMutation,
    ProfileMutation,
    AgendaMutation,
    AgendaReminderMutation,
    MessagingMutation,
    CatalogueMutation,
    OAuthMutation,
)

# The core's mutations, then the enabled plugins' (decided once per process, like `Patient`).
Mutation = strawberry.type(
    type(
        "Mutation",
        (*CORE_MUTATIONS, *(mixin for plugin in plugins.active().enabled for mixin in plugin.mutations)),
        {"__module__": __name__},
    ),
    description="The operations that change something.",
)


@strawberry.type(description="What comes live, over a WebSocket (graphql-transport-ws).")
class Subscription(MessagingSubscription):
    pass


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Silenced: `ErrorPresentation` logs unexpected errors with the request id;
        expected ones (a refused access, a bad input) are not server faults."""


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()
    extensions: list[Any] = []
    if not settings.introspection_allowed:
        # Before QueryLimits: it validates (and caches) with the rules added here.
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    extensions += [
        QueryLimits.factory(
            max_depth=settings.query_max_depth,
            max_aliases=settings.query_max_aliases,
            max_tokens=settings.query_max_tokens,
            max_cost=settings.query_max_cost,
            max_fields=settings.query_max_fields,
            max_directives=settings.query_max_directives,
            cache_size=settings.query_cache_size,
        ),
        QueryBudget,
        ErrorPresentation,
        SubscriptionsOnlyOverWebSocket,
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Patient,
            Professional,
            Organization,
            AccessLogEntry,
            CatalogueApp,
            Document,
            Reimbursement,
            AgendaItem,
            Thread,
            Message,
            *(extra for plugin in plugins.active().enabled for extra in plugin.types),
        ],
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )


def export_sdl(settings: Settings | None = None) -> str:
    """The schema in SDL, as committed in schema.graphql."""
    return build_schema(settings).as_str() + "\n"
