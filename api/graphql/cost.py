"""What a query may cost, computed from its text and variables before any resolver
runs, in the spirit of Shopify's and GitHub's public models: an object costs 1, a
scalar nothing, and a list multiplies the cost of what it selects by how many items
it may return (`first` or `last` when given, else a guess for lists that take no
size). A connection costs 1 and its `edges` wrapper nothing: each of its nodes is
counted as many times as the page may hold.

The figure bounds the work of one query (ESPACE_QUERY_MAX_COST) and is charged to
the caller's budget per minute (`api.graphql.budget`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

from api.graphql.pagination import MAX_PAGE_SIZE

# The items a list without a size argument is counted as (participants, files...).
UNSIZED_LIST_ITEMS = 10
SIZE_ARGUMENTS = ("first", "last")
EDGES = "edges"

Fragments = Mapping[str, FragmentDefinitionNode]


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Fragments,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of a validated operation with these variables."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Walk(schema, fragments, variables or {}).selection(operation.selection_set, root, frozenset())


def operation_of(
    definitions: Sequence[Any], operation_name: str | None
) -> tuple[OperationDefinitionNode | None, Fragments]:
    """The operation a request runs (by name, or the only one) and the fragments."""
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return (operations[0] if len(operations) == 1 else None), fragments
    named = [op for op in operations if op.name is not None and op.name.value == operation_name]
    return (named[0] if named else None), fragments


class _Walk:
    def __init__(self, schema: GraphQLSchema, fragments: Fragments, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        seen: frozenset[str],
        page: int | None = None,
    ) -> int:
        """`page`: the size of the connection whose selection this is (its `edges` count that many)."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, seen, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self._type(condition.name.value, parent) if condition else parent
                total += self.selection(selection.selection_set, target, seen, page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    target = self._type(fragment.type_condition.name.value, parent)
                    total += self.selection(fragment.selection_set, target, seen | {name}, page)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType, seen: frozenset[str], page: int | None) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        field = fields.get(name) if fields and not name.startswith("__") else None
        if field is None:  # introspection (refused or allowed elsewhere), or __typename
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        size = self._size(node)
        if name == EDGES and not node.arguments:
            # A connection's edges: a wrapper costing nothing, its nodes counted page times.
            items = page if page is not None else UNSIZED_LIST_ITEMS
            return items * self.selection(node.selection_set, named, seen)
        if _is_list(field.type):
            items = size if size is not None else UNSIZED_LIST_ITEMS
            return 1 + items * self.selection(node.selection_set, named, seen)
        # An object, or a connection (sized by `first`/`last`, its edges multiplied).
        return 1 + self.selection(node.selection_set, named, seen, size)

    def _size(self, node: FieldNode) -> int | None:
        """`first` or `last`, capped at the largest page; the largest page when it is
        not a plain number (the resolver refuses what is not one, after this count)."""
        for argument in node.arguments or ():
            if argument.name.value not in SIZE_ARGUMENTS:
                continue
            value = argument.value
            number: object = MAX_PAGE_SIZE
            if isinstance(value, IntValueNode):
                number = int(value.value)
            elif isinstance(value, VariableNode):
                number = self.variables.get(value.name.value, MAX_PAGE_SIZE)
            if not isinstance(number, int) or isinstance(number, bool):
                number = MAX_PAGE_SIZE
            return max(0, min(number, MAX_PAGE_SIZE))
        return None

    def _type(self, name: str, fallback: GraphQLNamedType) -> GraphQLNamedType:
        found = self.schema.get_type(name)
        return found if found is not None else fallback


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)
