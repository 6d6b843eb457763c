"""Scopes, checked field by field: the schema walk, and deny-then-allow per guard."""

from __future__ import annotations

import uuid

import pytest
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.lazy_type import LazyType
from strawberry.types.union import StrawberryUnion

from api.graphql.node import NodeGuard
from api.graphql.permissions import ScopeGuard, guard_of
from api.graphql.schema import build_schema
from api.identity.principal import Principal, PrincipalKind
from tests.conftest import error_codes

# Types whose fields are patient data: reaching one must cross a scope guard.
PATIENT_DATA_TYPES = {
    "Patient",
    "CareRelationship",
    "AccessPreferences",
    "AccessLogEntry",
    "AccessLogIntegrity",
    "EmergencyAccess",
    "Document",
    "MedicalProfile",
    "ProfileEntry",
    "Measurement",
    "MessageFile",
}

SCHEMA = build_schema()


def _named(type_: object) -> list[str]:
    """GraphQL object type names a field may return (through lists, options, interfaces)."""
    while isinstance(type_, (StrawberryList, StrawberryOptional)):
        type_ = type_.of_type
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if isinstance(type_, StrawberryUnion):
        return [name for member in type_.types for name in _named(member)]
    definition = getattr(type_, "__strawberry_definition__", None)
    if definition is None:
        return []
    if definition.is_interface:
        return [
            implementation.definition.name
            for implementation in SCHEMA.schema_converter.type_map.values()
            if hasattr(implementation.definition, "interfaces")
            and definition in getattr(implementation.definition, "interfaces", [])
        ]
    return [definition.name]


def _fields(type_name: str) -> list:
    definition = SCHEMA.get_type_by_name(type_name)
    return list(getattr(definition, "fields", []) or [])


def _is_guarded(field) -> bool:
    if guard_of(field) is not None:
        return True
    return any(
        isinstance(permission, NodeGuard)
        for extension in field.extensions or []
        for permission in getattr(extension, "permissions", [])
    )


def _unguarded_paths() -> list[str]:
    found = []
    seen: set[tuple[str, bool]] = set()
    stack = [(root, False, root) for root in ("Query", "Mutation")]
    while stack:
        type_name, guarded, path = stack.pop()
        for field in _fields(type_name):
            now_guarded = guarded or _is_guarded(field)
            for target in _named(field.type):
                step = f"{path}.{field.name} -> {target}"
                if target in PATIENT_DATA_TYPES and not now_guarded:
                    found.append(step)
                if (target, now_guarded) not in seen:
                    seen.add((target, now_guarded))
                    stack.append((target, now_guarded, step))
    return found


def test_the_walk_reaches_the_patient_data_types() -> None:
    reachable: set[str] = set()
    stack, seen = ["Query", "Mutation"], set()
    while stack:
        name = stack.pop()
        for field in _fields(name):
            for target in _named(field.type):
                reachable.add(target)
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
    assert reachable >= PATIENT_DATA_TYPES  # the walk would catch a gap, it is not blind


def test_no_path_from_the_root_reaches_patient_data_without_a_scope_guard() -> None:
    assert _unguarded_paths() == []


def test_every_entry_field_of_a_patient_declares_its_own_scope() -> None:
    """Below `Patient`, each field that leads into more data (a list, an object,
    a connection) is an entry field: Patient.documents, Patient.careTeam..."""
    unguarded = [field.name for field in _fields("Patient") if _named(field.type) and not _is_guarded(field)]
    assert unguarded == []


def test_a_guarded_field_is_nullable_so_that_it_fails_alone() -> None:
    """A refused non-null field would null its parent: the rest of the answer must come back."""
    from strawberry.types.base import StrawberryOptional

    not_nullable = []
    for type_name in ("Query", "Patient", "Viewer", "CatalogueApp"):
        for field in _fields(type_name):
            if _is_guarded(field) and not isinstance(field.type, StrawberryOptional):
                not_nullable.append(f"{type_name}.{field.name}")
    assert not_nullable == []


def test_the_scopes_show_in_schema_graphql() -> None:
    sdl = SCHEMA.as_str()
    assert '@requiresScopes(scopes: ["profile:read"]' in sdl
    assert "firstPartyOnly: true" in sdl


def _principal(kind: PrincipalKind, scopes: set[str]) -> Principal:
    return Principal(
        kind=kind,
        account_id=uuid.uuid4(),
        display_name="x",
        client_id="c",
        scopes=frozenset(scopes),
        token_id="t",
    )


@pytest.mark.parametrize(
    ("guard", "kind", "scopes", "allowed"),
    [
        (ScopeGuard(["profile:read"]), PrincipalKind.APP, {"profile:read"}, True),
        (ScopeGuard(["profile:read"]), PrincipalKind.APP, {"agenda:read"}, False),
        (ScopeGuard(["profile:read", "agenda:read"]), PrincipalKind.PATIENT, {"profile:read"}, False),
        (ScopeGuard(["profile:read", "agenda:read"], any_of=True), PrincipalKind.APP, {"agenda:read"}, True),
        (ScopeGuard([], first_party_only=True), PrincipalKind.APP, {"profile:read"}, False),
        (ScopeGuard([], first_party_only=True), PrincipalKind.REPRESENTATIVE, set(), True),
    ],
)
def test_guard_decisions(guard: ScopeGuard, kind: PrincipalKind, scopes: set[str], allowed: bool) -> None:
    assert guard.allows(_principal(kind, scopes)) is allowed


async def test_a_field_whose_scope_the_token_lacks_fails_alone(gql, token_for) -> None:
    token = await token_for("nadia", scopes={"agenda:read"})
    body = await gql("{ patient { displayName careTeam { role } } }", token=token)
    assert body["data"]["patient"] is None or body["data"]["patient"]["displayName"] == "Nadia Benali"
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["patient", "careTeam"]
    allowed = await gql(
        "{ patient { careTeam { role } } }", token=await token_for("nadia", scopes={"profile:read"})
    )
    assert "errors" not in allowed


async def test_a_token_without_patient_scopes_reads_no_space(gql, token_for) -> None:
    token = await token_for("nadia", scopes=set())
    body = await gql("{ viewer { kind } patient { displayName } }", token=token)
    assert body["data"]["viewer"] == {"kind": "PATIENT"}
    assert error_codes(body) == ["FORBIDDEN"]
    own = (await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"]
    node = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": own}, token=token)
    assert error_codes(node) == ["FORBIDDEN"]
