"""Who may do what in a thread (DOMAIN.md, Secure messaging), on top of the
space's MESSAGES part: the patient's side sees every thread of the space; a
professional only the threads they take part in; only a professional of the
care team opens one; the patient's side (not a caregiver: read-only) and the
participants reply; a participant closes it. A file sent with a message is
read by whoever sees its thread; only a professional also deposits it into the
dossier, under the dossier's own rules."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, true

from api.access.policy import PROFESSIONAL_RELATIONS, Relation
from api.access.service import SpaceAccess
from api.identity.principal import Principal, PrincipalKind

CARE_RELATIONS = frozenset({Relation.MEDECIN_TRAITANT, Relation.CARE_TEAM})
PATIENT_SIDE_WRITERS = frozenset({Relation.SELF, Relation.LEGAL_REPRESENTATIVE})


class ThreadColumns(Protocol):
    id: Any


def is_professional(principal: Principal) -> bool:
    return principal.kind is PrincipalKind.PROFESSIONAL and not principal.feed


def visible_threads(
    principal: Principal,
    granted: SpaceAccess,
    columns: ThreadColumns,
    participations: Select,  # type: ignore[type-arg]
) -> ColumnElement[bool]:
    """The threads of the space the principal may see; `participations` selects
    the ids of the threads a professional takes part in."""
    if granted.relation in PROFESSIONAL_RELATIONS:
        return columns.id.in_(participations)
    return true()


def may_see(principal: Principal, granted: SpaceAccess, participants: frozenset[uuid.UUID]) -> bool:
    if granted.relation in PROFESSIONAL_RELATIONS:
        return principal.professional_id in participants
    return True


def may_start(principal: Principal, granted: SpaceAccess) -> bool:
    return is_professional(principal) and granted.relation in CARE_RELATIONS


def may_reply(principal: Principal, granted: SpaceAccess, participants: frozenset[uuid.UUID]) -> bool:
    if granted.relation in CARE_RELATIONS:
        return principal.professional_id in participants
    return granted.relation in PATIENT_SIDE_WRITERS


def may_deposit_from_message(principal: Principal) -> bool:
    """Who may ask for a message's file to become a document of the dossier too (the
    dossier's policy then decides, as for any deposit). The patient's side adds its own
    documents through the dossier, where it chooses what they are."""
    return is_professional(principal)


def may_close(principal: Principal, granted: SpaceAccess, participants: frozenset[uuid.UUID]) -> bool:
    return granted.relation in CARE_RELATIONS and principal.professional_id in participants


def is_patient_side(granted: SpaceAccess) -> bool:
    """Whose side a reader is on: their read marks the professionals' messages read."""
    return granted.relation not in PROFESSIONAL_RELATIONS
