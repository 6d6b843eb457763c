"""The Relay `node(id)` entry point over every Node type of the schema."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission, PermissionExtension

from api.errors import BadUserInput, ErrorCode, NotFound, Unauthenticated
from api.graphql.context import Info
from api.graphql.ids import decode_id
from api.graphql.permissions import EVERY_SCOPE, ScopeGuard
from api.identity.scopes import Scope


def node_types() -> dict[str, type[relay.Node]]:
    """Every Node type by GraphQL name; areas with new Node types add them here."""
    from api.agenda.types import AgendaItem
    from api.catalogue.types import CatalogueApp
    from api.directory.types import Organization, Professional
    from api.dossier.types import Document
    from api.graphql.patient import Patient
    from api.journal.types import AccessLogEntry
    from api.messaging.types import Thread
    from api.reimbursements.types import Reimbursement

    return {
        cls.__name__: cls
        for cls in (
            Patient,
            Professional,
            Organization,
            AccessLogEntry,
            CatalogueApp,
            Document,
            Reimbursement,
            AgendaItem,
            Thread,
        )
    }


# Node types anyone may resolve without a token (the public catalogue).
PUBLIC_NODE_TYPES = frozenset({"CatalogueApp"})

# The guard of each Node type that holds patient data, as on the fields that lead to it.
NODE_GUARDS: dict[str, ScopeGuard] = {
    "Patient": ScopeGuard(EVERY_SCOPE, any_of=True),
    "AccessLogEntry": ScopeGuard((), first_party_only=True),
    "Document": ScopeGuard([Scope.DOCUMENTS_READ.value]),
    "Reimbursement": ScopeGuard([Scope.REIMBURSEMENTS_READ.value]),
    "AgendaItem": ScopeGuard([Scope.AGENDA_READ.value]),
    "Thread": ScopeGuard([Scope.MESSAGES_READ.value]),
}


class NodeGuard(BasePermission):
    """`node(id)` reaches every Node type: apply the guard of the type the id names."""

    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - read by strawberry
    message = "This token may not read this object."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        try:
            type_name, _ = decode_id(kwargs["id"])
        except BadUserInput:
            return True  # the resolver answers BAD_USER_INPUT or UNAUTHENTICATED
        guard = NODE_GUARDS.get(type_name)
        if guard is None:
            return True
        if principal is None:
            raise Unauthenticated()
        return guard.allows(principal)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global id, under the same rules as everywhere else.",
        extensions=[PermissionExtension(permissions=[NodeGuard()], use_directives=False)],
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:  # noqa: A002
        try:
            type_name, pk = decode_id(id)
        except BadUserInput:
            info.context.require_principal()  # anonymous callers learn only that they must log in
            raise
        if type_name not in PUBLIC_NODE_TYPES:
            info.context.require_principal()
        node_type = node_types().get(type_name)
        if node_type is None:
            raise NotFound("No object has this id.")
        nodes = await node_type.resolve_nodes(info=info, node_ids=[str(pk)])
        found = next(iter(nodes), None)
        if found is None:
            raise NotFound("No object has this id.")
        return found
