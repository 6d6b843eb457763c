"""GraphQL enums shared by several areas, declared once."""

from __future__ import annotations

import strawberry

from api.identity.principal import PrincipalKind

strawberry.enum(PrincipalKind, description="The kind of caller a token speaks for.")

__all__ = ["PrincipalKind"]
