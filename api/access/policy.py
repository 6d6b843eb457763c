"""May this principal do this action on this space?

The foundation knows one relationship, the holder of the space. Care teams,
representatives, masking and emergency access extend `space_decision`, and
every caller already goes through it.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from api.errors import Forbidden
from api.identity.principal import Principal, PrincipalKind


class Action(StrEnum):
    READ = "READ"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    DOWNLOAD = "DOWNLOAD"


def space_decision(principal: Principal, patient_id: uuid.UUID, action: Action) -> bool:
    """True when the principal may do `action` on the space of `patient_id`."""
    if principal.kind is PrincipalKind.OPERATOR:
        return False  # operators never read patient data
    if principal.kind is PrincipalKind.PATIENT:
        return principal.patient_id == patient_id
    return False


def require_space(principal: Principal, patient_id: uuid.UUID, action: Action) -> None:
    """Raise Forbidden unless `space_decision` allows it."""
    if not space_decision(principal, patient_id, action):
        raise Forbidden("You may not open this space.")


def spaces_of(principal: Principal) -> list[uuid.UUID]:
    """The spaces this principal may switch between: its own for now."""
    return [principal.patient_id] if principal.patient_id else []


def require_directory(principal: Principal) -> None:
    """The directory of professionals and organizations is public reference data
    (as the national Annuaire Santé is): any authenticated principal reads it."""
    del principal
