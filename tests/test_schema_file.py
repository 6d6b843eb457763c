"""schema.graphql is the code's schema, and keeps the contract's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.graphql.schema import build_schema, export_sdl
from api.plugins import active

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    {plugin.name for plugin in active().enabled} != set(active().installed),
    reason="schema.graphql is the schema with every installed plugin enabled",
)
def test_schema_graphql_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == export_sdl(), (
        "schema.graphql is stale: run `espace schema export --output schema.graphql`"
    )


def test_every_field_and_type_has_a_description() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not hasattr(graphql_type, "fields"):
            continue
        if not graphql_type.description:
            missing.append(name)
        missing.extend(
            f"{name}.{field}" for field, spec in graphql_type.fields.items() if not spec.description
        )
    assert missing == []
