"""Query limits are enforced before any resolver runs."""

from __future__ import annotations

from graphql import get_introspection_query

from tests.conftest import error_codes


def _nested_fields(levels: int) -> str:
    """A query exactly `levels` fields deep."""
    query = "kind"
    for _ in range(levels - 1):
        query = f"viewer {{ {query} }}"
    return "{ " + query + " }"


async def test_a_40_level_query_is_refused(gql, count_statements) -> None:
    body = await gql(_nested_fields(40), as_="nadia")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "40" in body["errors"][0]["message"]
    assert gql.last_response.status_code == 400


async def test_depth_counts_through_fragments(gql, settings) -> None:
    levels = settings.query_max_depth + 4
    fragments = "\n".join(f"fragment F{i} on Query {{ viewer {{ ...F{i + 1} }} }}" for i in range(levels))
    fragments += f"\nfragment F{levels} on Query {{ viewer {{ kind }} }}"
    body = await gql("{ ...F0 }\n" + fragments, as_="nadia")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_a_query_at_the_depth_limit_passes_and_one_deeper_fails(gql, settings) -> None:
    limit = settings.query_max_depth

    def at(depth: int) -> str:
        query = "kind"
        for _ in range(depth - 1):
            query = f"viewer {{ {query} }}"
        return "{ " + query + " }"

    passing = await gql(at(limit), as_="nadia")
    assert "QUERY_TOO_COMPLEX" not in error_codes(passing)
    failing = await gql(at(limit + 1), as_="nadia")
    assert error_codes(failing) == ["QUERY_TOO_COMPLEX"]


def test_a_connections_edges_and_node_are_not_levels_of_their_own() -> None:
    from graphql import parse

    from api.graphql.limits import selection_depth

    nested = parse(
        '{ node(id: "x") { ... on Patient { threads { edges { node { '
        "messages { edges { node { files { title } } } } } } } } } }"
    )
    operation = nested.definitions[0]
    # node(id:) is a field with arguments, so it counts: node, threads, messages, files, title.
    assert selection_depth(operation.selection_set, {}) == 5


async def test_a_thousand_aliases_are_refused(gql, token_for, count_statements) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(1000)) + " }"
    token = await token_for("nadia")
    before = count_statements.count
    body = await gql(query, token=token)
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    # Refused before any resolver: only authentication touched the database.
    assert count_statements.count - before <= 1


async def test_aliases_are_counted_inside_fragments(gql, settings) -> None:
    n = settings.query_max_aliases + 1
    fragment = "fragment V on Query { " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(n)) + " }"
    body = await gql("{ ...V }\n" + fragment, as_="nadia")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_too_many_tokens_are_refused(gql, settings) -> None:
    query = "{ viewer { " + "kind " * settings.query_max_tokens + "} }"
    body = await gql(query, as_="nadia")
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]


async def test_fragment_cycles_do_not_hang_the_limits(gql) -> None:
    body = await gql("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", as_="nadia")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_only_the_first_validation_error_is_returned(gql) -> None:
    query = "{ " + " ".join(f"viewer @nope{i} {{ kind }}" for i in range(15)) + " }"
    body = await gql(query, as_="nadia")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert len(body["errors"]) == 1
    # Past ESPACE_QUERY_MAX_DIRECTIVES, refused before validation does that work.
    many = "{ " + " ".join(f"viewer @nope{i} {{ kind }}" for i in range(50)) + " }"
    assert error_codes(await gql(many, as_="nadia")) == ["QUERY_TOO_COMPLEX"]


async def test_fields_past_the_maximum_are_refused_fragments_expanded(gql, settings) -> None:
    assert settings.query_max_fields == 300
    fragment = "fragment F on Viewer { " + "kind " * 20 + "}"

    def spread(times: int) -> str:  # each spread: the viewer and its 20 fields
        return "{ " + " ".join(f"a{n}: viewer {{ ...F }}" for n in range(times)) + " } " + fragment

    assert "errors" not in await gql(spread(14), as_="nadia")  # 14 x 21 = 294 fields
    assert error_codes(await gql(spread(15), as_="nadia")) == ["QUERY_TOO_COMPLEX"]  # 315
    assert error_codes(await gql("{ " + "__typename " * 301 + "}", as_="nadia")) == ["QUERY_TOO_COMPLEX"]


async def test_graphiql_introspection_passes_the_limits(gql) -> None:
    body = await gql(get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_same_refused_query_twice_is_refused_twice(gql) -> None:
    # The validation cache must remember refusals, not just successes.
    query = _nested_fields(20)
    first = await gql(query, as_="nadia")
    second = await gql(query, as_="nadia")
    assert error_codes(first) == error_codes(second) == ["QUERY_TOO_COMPLEX"]
