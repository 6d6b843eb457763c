"""Query limits checked before any resolver runs, and the validation cache.

One extension, so that the order is certain: parse with a token cap, then
depth and alias limits, then graphql-core's validation, all remembered per
query text, then the query's cost with this request's variables. Only the
first problem is returned: a document made of a thousand broken directives
costs one error, not a thousand.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import suppress
from functools import lru_cache
from threading import Lock

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from api.errors import ErrorCode
from api.graphql.cost import operation_of, query_cost

Fragments = Mapping[str, FragmentDefinitionNode]
CONNECTION_WRAPPERS = frozenset({"edges", "node"})


def fields_of(
    selection_set: SelectionSetNode | None, fragments: Fragments, seen: frozenset[str] = frozenset()
) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    """The fields of one selection set, inline fragments and spreads expanded where they
    stand, each with the fragments entered to reach it (a cycle is entered once)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, seen
        elif isinstance(selection, InlineFragmentNode):
            yield from fields_of(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from fields_of(fragment.selection_set, fragments, seen | {name})


def selection_depth(
    selection_set: SelectionSetNode | None, fragments: Fragments, seen: frozenset[str] = frozenset()
) -> int:
    """The deepest chain of fields below a selection set; introspection is not
    counted, nor a connection's `edges` and `node` wrappers."""
    deepest = 0
    for field, entered in fields_of(selection_set, fragments, seen):
        if field.name.value.startswith("__"):
            continue
        # A connection's `edges { node { ... } }` is one level of data, not three:
        # without this, two nested lists (threads, their messages) hit the limit.
        wrapper = field.name.value in CONNECTION_WRAPPERS and not field.arguments
        level = 0 if wrapper else 1
        deepest = max(deepest, level + selection_depth(field.selection_set, fragments, entered))
    return deepest


def alias_count(
    selection_set: SelectionSetNode | None, fragments: Fragments, seen: frozenset[str] = frozenset()
) -> int:
    """Aliases used below a selection set, fragments counted where they are spread."""
    return sum(
        (field.alias is not None) + alias_count(field.selection_set, fragments, entered)
        for field, entered in fields_of(selection_set, fragments, seen)
    )


def field_count(
    selection_set: SelectionSetNode | None, fragments: Fragments, seen: frozenset[str] = frozenset()
) -> int:
    """Fields selected, fragments counted where they are spread; what an introspection
    field selects is not counted (GraphiQL's own query is large, and bounded)."""
    return sum(
        1
        + (
            0
            if field.name.value in ("__schema", "__type")
            else field_count(field.selection_set, fragments, entered)
        )
        for field, entered in fields_of(selection_set, fragments, seen)
    )


def directive_count(node: Node) -> int:
    """Directives anywhere in the document (repeating one a thousand times costs the
    validation as much as a thousand fields)."""
    total = len(getattr(node, "directives", None) or ())
    for key in node.keys:
        value = getattr(node, key, None)
        if isinstance(value, Node):
            total += directive_count(value)
        elif isinstance(value, tuple | list):
            total += sum(directive_count(item) for item in value if isinstance(item, Node))
    return total


def limit_errors(
    document: DocumentNode, *, max_depth: int, max_aliases: int, max_fields: int, max_directives: int
) -> list[GraphQLError]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    directives = directive_count(document)
    if directives > max_directives:
        return [
            _too_complex(f"The query uses {directives} directives; at most {max_directives} are allowed.")
        ]
    depth = max((selection_depth(op.selection_set, fragments) for op in operations), default=0)
    if depth > max_depth:
        return [_too_complex(f"The query is {depth} levels deep; at most {max_depth} are allowed.")]
    aliases = sum(alias_count(op.selection_set, fragments) for op in operations)
    if aliases > max_aliases:
        return [_too_complex(f"The query uses {aliases} aliases; at most {max_aliases} are allowed.")]
    fields = sum(field_count(op.selection_set, fragments) for op in operations)
    if fields > max_fields:
        return [_too_complex(f"The query selects {fields} fields; at most {max_fields} are allowed.")]
    return []


def _too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})


class _Memo:
    """A small thread-safe LRU of validation outcomes, keyed by query text and rules."""

    def __init__(self, maxsize: int) -> None:
        self._entries: OrderedDict[Hashable, list[GraphQLError]] = OrderedDict()
        self._maxsize = maxsize
        self._lock = Lock()

    def get(self, key: Hashable) -> list[GraphQLError] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: list[GraphQLError]) -> None:
        if self._maxsize <= 0:
            return
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)


class QueryLimits(SchemaExtension):
    """Parse (cached), then limits and validation (cached), before any resolver.

    Build one per request with `QueryLimits.factory(...)`; the caches are shared.
    """

    def __init__(
        self,
        *,
        max_depth: int,
        max_aliases: int,
        max_tokens: int,
        max_cost: int,
        max_fields: int,
        max_directives: int,
        memo: _Memo,
        parse: Callable[..., DocumentNode],
    ) -> None:
        self._parse = parse
        self._max_cost = max_cost
        self._max_fields = max_fields
        self._max_directives = max_directives
        self._max_depth = max_depth
        self._max_aliases = max_aliases
        self._max_tokens = max_tokens
        self._memo = memo

    @classmethod
    def factory(
        cls,
        *,
        max_depth: int,
        max_aliases: int,
        max_tokens: int,
        max_cost: int,
        max_fields: int,
        max_directives: int,
        cache_size: int,
    ) -> Callable[[], QueryLimits]:
        memo = _Memo(cache_size)
        parse_cached = lru_cache(maxsize=cache_size)(parse)
        return lambda: cls(
            max_depth=max_depth,
            max_aliases=max_aliases,
            max_tokens=max_tokens,
            max_cost=max_cost,
            max_fields=max_fields,
            max_directives=max_directives,
            memo=memo,
            parse=parse_cached,
        )

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self._max_tokens
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            # On a syntax error the document stays unparsed: strawberry parses again
            # and reports it through its own path (raising here would skip the codes).
            with suppress(GraphQLError):
                context.graphql_document = self._parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and hasattr(context.context, "operation_name"):
            # The name of the operation run, for the metrics (clients rarely send it apart).
            operation, _ = operation_of(document.definitions, context.operation_name)
            context.context.operation_name = operation.name.value if operation and operation.name else None
        # Rules may differ per request (introspection allowed or not): part of the key.
        key = (context.query or "", tuple(context.validation_rules))
        errors = self._memo.get(key)
        if errors is None:
            document = context.graphql_document
            if document is None:  # strawberry parses before validating; never here
                raise RuntimeError("validation reached without a parsed document")
            errors = limit_errors(
                document,
                max_depth=self._max_depth,
                max_aliases=self._max_aliases,
                max_fields=self._max_fields,
                max_directives=self._max_directives,
            )
            if not errors:
                errors = validate_document(context.schema._schema, document, context.validation_rules)[:1]
            self._memo.put(key, errors)
        if not errors:
            # The cost depends on the variables: counted for each request, not remembered.
            errors = self._cost_errors()
        # A list (even empty) tells strawberry that validation has been done.
        context.pre_execution_errors = list(errors)
        yield

    def _cost_errors(self) -> list[GraphQLError]:
        context = self.execution_context
        document = context.graphql_document
        operation, fragments = operation_of(document.definitions if document else (), context.operation_name)
        if operation is None:  # strawberry reports the missing operation itself
            return []
        cost = query_cost(context.schema._schema, operation, fragments, context.variables)
        if cost > self._max_cost:
            return [_too_complex(f"The query costs {cost}; at most {self._max_cost} is allowed.")]
        if hasattr(context.context, "query_cost"):
            context.context.query_cost = cost
        return []
