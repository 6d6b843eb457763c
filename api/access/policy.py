"""The rules of DOMAIN.md ("Who may read a space", "The dossier"), as pure
functions of the principal and the facts: no I/O here, so that one
table-driven test can hold every combination against the text.

Where DOMAIN.md is silent, the choice that keeps the patient in control is
taken and named in a comment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from api.access.facts import SpaceFacts
from api.access.matrix import profession_matrix
from api.access.models import CareRole, RepresentationKind
from api.identity.principal import Principal, PrincipalKind


class Action(StrEnum):
    READ = "READ"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    DOWNLOAD = "DOWNLOAD"
    # The whole space as one file (portability): the patient's or a legal representative's.
    EXPORT = "EXPORT"


class SpacePart(StrEnum):
    """The parts of a space; a caregiver is delegated some of them."""

    IDENTITY = "IDENTITY"
    DOCUMENTS = "DOCUMENTS"
    PROFILE = "PROFILE"
    REIMBURSEMENTS = "REIMBURSEMENTS"
    AGENDA = "AGENDA"
    MESSAGES = "MESSAGES"
    CARE_TEAM = "CARE_TEAM"
    JOURNAL = "JOURNAL"
    SETTINGS = "SETTINGS"


class Relation(StrEnum):
    """What the principal is to a space, from the strongest claim it holds."""

    SELF = "SELF"
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    CAREGIVER = "CAREGIVER"
    MEDECIN_TRAITANT = "MEDECIN_TRAITANT"
    CARE_TEAM = "CARE_TEAM"
    EMERGENCY = "EMERGENCY"
    NONE = "NONE"


PROFESSIONAL_RELATIONS = frozenset({Relation.MEDECIN_TRAITANT, Relation.CARE_TEAM, Relation.EMERGENCY})
REPRESENTATIVE_RELATIONS = frozenset({Relation.LEGAL_REPRESENTATIVE, Relation.CAREGIVER})

_READ = frozenset({Action.READ, Action.DOWNLOAD})
# What a professional of the care team may do, part by part. The journal is
# the médecin traitant's only (DOMAIN.md); agenda and settings stay the patient's.
_CARE_TEAM_RIGHTS: dict[SpacePart, frozenset[Action]] = {
    SpacePart.IDENTITY: _READ,
    SpacePart.DOCUMENTS: _READ | {Action.CREATE, Action.UPDATE, Action.DELETE},
    SpacePart.PROFILE: _READ | {Action.CREATE},
    SpacePart.REIMBURSEMENTS: _READ,
    SpacePart.MESSAGES: _READ | {Action.CREATE},
    SpacePart.CARE_TEAM: _READ,
}
# Emergency access reads what care needs, and nothing is written through it.
_EMERGENCY_RIGHTS: dict[SpacePart, frozenset[Action]] = {
    SpacePart.IDENTITY: _READ,
    SpacePart.DOCUMENTS: _READ,
    SpacePart.PROFILE: _READ,
    SpacePart.REIMBURSEMENTS: _READ,
}
_NEVER_FOR_APPS = frozenset({SpacePart.JOURNAL, SpacePart.SETTINGS})


@dataclass(frozen=True, slots=True)
class SpaceDecision:
    allowed: bool
    relation: Relation
    emergency: bool = False
    emergency_reason: str | None = None


def relation_of(principal: Principal, facts: SpaceFacts, now: datetime) -> Relation:
    if not facts.exists or not facts.open or principal.kind is PrincipalKind.OPERATOR:
        return Relation.NONE  # a closed space is readable by no one; operators never read patient data
    if (
        principal.kind in (PrincipalKind.REPRESENTATIVE, PrincipalKind.APP)
        and principal.acting_for != facts.patient_id
    ):
        return Relation.NONE  # a representative's or app's token acts for one space only
    if principal.kind is PrincipalKind.PROFESSIONAL:
        return _professional_relation(facts, now)
    if facts.is_self:
        return Relation.SELF
    if facts.representation_kind is None:
        return Relation.NONE
    if facts.representation_expires_at is not None and facts.representation_expires_at <= now:
        return Relation.NONE
    if facts.representation_kind == RepresentationKind.LEGAL_REPRESENTATIVE:
        return Relation.LEGAL_REPRESENTATIVE
    return Relation.CAREGIVER


def _professional_relation(facts: SpaceFacts, now: datetime) -> Relation:
    if facts.blocked:
        return Relation.NONE  # a block beats every other claim, emergency included
    if facts.care_role == CareRole.MEDECIN_TRAITANT:
        return Relation.MEDECIN_TRAITANT
    if facts.care_role is not None:
        return Relation.CARE_TEAM
    if facts.emergency is not None and facts.emergency.expires_at > now:
        return Relation.EMERGENCY
    return Relation.NONE


def space_decision(
    principal: Principal, facts: SpaceFacts, action: Action, part: SpacePart, now: datetime
) -> SpaceDecision:
    """May the principal do `action` on `part` of the space?"""
    relation = relation_of(principal, facts, now)
    allowed = _space_allows(relation, facts, action, part)
    if principal.kind is PrincipalKind.APP and (
        part in _NEVER_FOR_APPS
        or (part is SpacePart.CARE_TEAM and action not in _READ)
        or action is Action.EXPORT
    ):
        allowed = False  # apps never read the journal, manage who has access nor take the whole space
    emergency = relation is Relation.EMERGENCY
    reason = facts.emergency.reason if emergency and facts.emergency else None
    return SpaceDecision(allowed, relation, emergency, reason)


def _space_allows(relation: Relation, facts: SpaceFacts, action: Action, part: SpacePart) -> bool:
    if relation in (Relation.SELF, Relation.LEGAL_REPRESENTATIVE):
        return True  # a legal representative acts as the person (documents hidden from them aside)
    if relation is Relation.CAREGIVER:
        # Read-only, on the parts the patient delegated, and the identity that goes with them.
        return action in _READ and (part is SpacePart.IDENTITY or part.value in facts.representation_parts)
    if relation is Relation.MEDECIN_TRAITANT and part is SpacePart.JOURNAL:
        return action is Action.READ
    if relation in (Relation.MEDECIN_TRAITANT, Relation.CARE_TEAM):
        return action in _CARE_TEAM_RIGHTS.get(part, frozenset())
    if relation is Relation.EMERGENCY:
        return action in _EMERGENCY_RIGHTS.get(part, frozenset())
    return False


class DocumentDecision(StrEnum):
    ALLOW = "ALLOW"
    FORBIDDEN = "FORBIDDEN"  # the caller may know the document exists, not act on it
    INVISIBLE = "INVISIBLE"  # the caller may not learn that it exists: NOT_FOUND, not counted


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    category: str
    author_professional_id: uuid.UUID | None
    masked_from_professionals: bool = False
    hidden_from_patient: bool = False
    hidden_from_representatives: bool = False
    masked_even_in_emergency: bool = False


def document_decision(
    principal: Principal, facts: SpaceFacts, document: DocumentFacts, action: Action, now: datetime
) -> DocumentDecision:
    """May the principal do `action` on this document of the space?"""
    space = space_decision(principal, facts, action, SpacePart.DOCUMENTS, now)
    if not space.allowed:
        # Outside the space: the same FORBIDDEN as the space, whatever the document.
        return DocumentDecision.FORBIDDEN
    if action is Action.CREATE:
        return DocumentDecision.ALLOW
    if not _document_visible(principal, space.relation, document):
        return DocumentDecision.INVISIBLE
    if action in _READ:
        return DocumentDecision.ALLOW
    if space.relation in (Relation.SELF, Relation.LEGAL_REPRESENTATIVE):
        return DocumentDecision.ALLOW  # the patient may delete or re-flag any document they see
    is_author = document.author_professional_id is not None and (
        document.author_professional_id == principal.professional_id
    )
    # A professional changes or deletes only what they authored.
    return DocumentDecision.ALLOW if is_author else DocumentDecision.FORBIDDEN


def _document_visible(principal: Principal, relation: Relation, document: DocumentFacts) -> bool:
    if relation is Relation.SELF:
        return not document.hidden_from_patient
    if relation in REPRESENTATIVE_RELATIONS:
        return not (document.hidden_from_patient or document.hidden_from_representatives)
    if relation not in PROFESSIONAL_RELATIONS:
        return False
    if (
        document.author_professional_id is not None
        and document.author_professional_id == principal.professional_id
    ):
        return True  # authors always see their own documents
    if document.masked_from_professionals:
        if relation is Relation.EMERGENCY:
            if document.masked_even_in_emergency:
                return False
        elif relation is not Relation.MEDECIN_TRAITANT:
            return False
    return profession_matrix().allows(principal.profession, document.category)


class VisibilityFlag(StrEnum):
    MASKED_FROM_PROFESSIONALS = "masked_from_professionals"
    MASKED_EVEN_IN_EMERGENCY = "masked_even_in_emergency"
    HIDDEN_FROM_PATIENT = "hidden_from_patient"
    HIDDEN_FROM_REPRESENTATIVES = "hidden_from_representatives"


def may_change_visibility(
    principal: Principal, relation: Relation, document: DocumentFacts, flag: VisibilityFlag, value: bool
) -> bool:
    """Who moves which flag (DOMAIN.md, The dossier). Where it is silent: a legal
    representative never touches what is hidden from representatives (it would
    unhide it for themselves), and only the author lifts "hidden from the patient"."""
    is_author = document.author_professional_id is not None and (
        document.author_professional_id == principal.professional_id
    )
    if flag in (VisibilityFlag.MASKED_FROM_PROFESSIONALS, VisibilityFlag.MASKED_EVEN_IN_EMERGENCY):
        return relation in (Relation.SELF, Relation.LEGAL_REPRESENTATIVE)
    if flag is VisibilityFlag.HIDDEN_FROM_PATIENT:
        return is_author and value is False  # set at deposit; lifted by its author
    return relation is Relation.SELF or is_author  # hidden from representatives


def may_self_declare(principal: Principal, facts: SpaceFacts) -> bool:
    """A professional may declare a care relationship (with the patient's consent)
    unless blocked; the space must be open."""
    return principal.kind is PrincipalKind.PROFESSIONAL and facts.exists and facts.open and not facts.blocked


def may_open_emergency(principal: Principal, facts: SpaceFacts, *, regulation: bool) -> bool:
    """Emergency access: for professionals outside the care team (the regulation
    doctor of centre 15 on any call), never when blocked or refused in advance."""
    if principal.kind is not PrincipalKind.PROFESSIONAL or not facts.exists or not facts.open:
        return False
    if facts.blocked or facts.refuses_emergency:
        return False
    return regulation or facts.care_role is None


def may_deposit_as_feed(principal: Principal, facts: SpaceFacts) -> bool:
    """A laboratory's or hospital's feed deposits for any open space it names by
    INS, and reads nothing (DOMAIN.md)."""
    return principal.feed and facts.exists and facts.open


def may_make_clinical_decision(principal: Principal) -> bool:
    """A clinical decision on a space (a treatment target): a professional in
    person, never the patient's side nor a deposit feed. The space's own
    decision (care team, blocks) is asked beside it."""
    return principal.kind is PrincipalKind.PROFESSIONAL and not principal.feed


def may_review_apps(principal: Principal) -> bool:
    """Vetting the catalogue is the operators' work, and theirs alone."""
    return principal.kind is PrincipalKind.OPERATOR


def journal_actor_kind(principal: Principal, relation: Relation) -> PrincipalKind | None:
    """How an access appears in the journal; None when the patient acts in their own space."""
    if principal.kind is PrincipalKind.APP:
        return PrincipalKind.APP
    if relation is Relation.SELF:
        return None
    if relation in REPRESENTATIVE_RELATIONS:
        return PrincipalKind.REPRESENTATIVE
    return PrincipalKind.PROFESSIONAL
