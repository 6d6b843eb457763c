"""Scope guards: which fields a token may touch, declared on the field.

`scoped(...)` gives a field its guard (a strawberry permission extension) and
an `@requiresScopes` directive, so the requirement shows in schema.graphql.
Guards sit on entry fields only (the fields that lead into patient data);
the scalars below them resolve on strawberry's fast path, unguarded.
Which rows may be touched is the access policy's business, not this one's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from api.errors import ErrorCode, Unauthenticated
from api.identity.principal import Principal, PrincipalKind
from api.identity.scopes import Scope, all_scopes

ANY_PATIENT_SCOPE = "any patient-data scope"


class EveryScope(Sequence[str]):
    """The scopes of patient data, the enabled plugins' included, read when used:
    the schema's types are defined before the plugins are loaded."""

    def _names(self) -> list[str]:
        return sorted(all_scopes())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


EVERY_SCOPE = EveryScope()


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="The token must hold these scopes (`any` of them when so marked); "
    "`firstPartyOnly`: never for catalogue apps.",
)
class RequiresScopes:
    scopes: list[str]
    any: bool = False
    first_party_only: bool = False


class ScopeGuard(BasePermission):
    """Refuses the field (FORBIDDEN, the rest of the answer comes back) unless the
    token holds the scopes; UNAUTHENTICATED without a token."""

    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - read by strawberry

    def __init__(
        self, scopes: Iterable[str], *, any_of: bool = False, first_party_only: bool = False
    ) -> None:
        self._scopes = scopes if isinstance(scopes, EveryScope) else frozenset(scopes)
        self.any_of = any_of
        self.first_party_only = first_party_only
        if first_party_only:
            self.message = "Catalogue apps may not use this field."
        elif any_of:
            self.message = "This token holds no scope to read patient data."
        else:
            self.message = f"This token lacks the scope(s): {' '.join(sorted(self.scopes))}."

    @property
    def scopes(self) -> frozenset[str]:
        return self._scopes if isinstance(self._scopes, frozenset) else all_scopes()

    def allows(self, principal: Principal) -> bool:
        if self.first_party_only and principal.kind is PrincipalKind.APP:
            return False
        if not self.scopes:
            return True
        held = self.scopes & principal.scopes
        return bool(held) if self.any_of else held == self.scopes

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise Unauthenticated()
        return self.allows(principal)


def _guard(guard: ScopeGuard, directive: RequiresScopes) -> dict[str, Any]:
    extensions: list[FieldExtension] = [PermissionExtension(permissions=[guard], use_directives=False)]
    return {"extensions": extensions, "directives": [directive]}


def scoped(*scopes: Scope | str) -> dict[str, Any]:
    """Field options requiring every one of `scopes` (core ones, or a plugin's by name)."""
    names = sorted(str(scope) for scope in scopes)
    return _guard(ScopeGuard(names), RequiresScopes(scopes=names))


def any_patient_scope() -> dict[str, Any]:
    """Field options for a patient's identity: any scope of patient data will do
    (an app granted only agenda:read may still show whose agenda it is)."""
    return _guard(ScopeGuard(EVERY_SCOPE, any_of=True), RequiresScopes(scopes=EVERY_SCOPE, any=True))


def first_party_only(*scopes: Scope) -> dict[str, Any]:
    """Field options for what catalogue apps never touch (the journal, blocks, settings)."""
    names = sorted(scope.value for scope in scopes)
    return _guard(
        ScopeGuard(names, first_party_only=True), RequiresScopes(scopes=names, first_party_only=True)
    )


def guard_of(field: Any) -> ScopeGuard | None:
    """The scope guard of a strawberry field, if it has one (for the schema walk)."""
    for extension in getattr(field, "extensions", []) or []:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, ScopeGuard):
                    return permission
    return None
