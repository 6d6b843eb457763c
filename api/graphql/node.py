"""The Relay `node(id)` entry point over every Node type of the schema."""

from __future__ import annotations

import strawberry
from strawberry import relay

from api.errors import BadUserInput, NotFound
from api.graphql.context import Info
from api.graphql.ids import decode_id


def node_types() -> dict[str, type[relay.Node]]:
    """Every Node type by GraphQL name; areas with new Node types add them here."""
    from api.catalogue.types import CatalogueApp
    from api.directory.types import Organization, Professional
    from api.graphql.patient import Patient
    from api.journal.types import AccessLogEntry

    return {cls.__name__: cls for cls in (Patient, Professional, Organization, AccessLogEntry, CatalogueApp)}


# Node types anyone may resolve without a token (the public catalogue).
PUBLIC_NODE_TYPES = frozenset({"CatalogueApp"})


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id, under the same rules as everywhere else.")
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
