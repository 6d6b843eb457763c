"""Every combination of relationship x action x visibility flag, against the
rules of DOMAIN.md written out as an explicit table (not computed the way the
policy computes them).

The same table runs twice: on facts built in memory, and on facts loaded from
the database after the relationship was really recorded (both dialects).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from api.access.facts import EmergencyFacts, SpaceFacts, load_space_facts
from api.access.models import CareRole
from api.access.policy import Action, DocumentDecision, DocumentFacts, document_decision
from api.db import utcnow
from api.identity.principal import Principal, PrincipalKind
from tests import factories

ALLOW, FORBIDDEN, INVISIBLE = DocumentDecision.ALLOW, DocumentDecision.FORBIDDEN, DocumentDecision.INVISIBLE

FLAGS = {
    "plain": DocumentFacts(category="LAB_RESULT", author_professional_id=None),
    "masked": DocumentFacts(
        category="LAB_RESULT", author_professional_id=None, masked_from_professionals=True
    ),
    "masked_in_emergency": DocumentFacts(
        category="LAB_RESULT",
        author_professional_id=None,
        masked_from_professionals=True,
        masked_even_in_emergency=True,
    ),
    "hidden_from_patient": DocumentFacts(
        category="LAB_RESULT", author_professional_id=None, hidden_from_patient=True
    ),
    "hidden_from_reps": DocumentFacts(
        category="LAB_RESULT", author_professional_id=None, hidden_from_representatives=True
    ),
    "imaging": DocumentFacts(category="IMAGING", author_professional_id=None),
}

# relationship -> flag -> (READ, CREATE, DELETE). Read DOMAIN.md beside it.
EXPECTED: dict[str, dict[str, tuple[DocumentDecision, DocumentDecision, DocumentDecision]]] = {
    # The patient reads everything but what is hidden from them, deletes anything they see.
    "self": {
        "plain": (ALLOW, ALLOW, ALLOW),
        "masked": (ALLOW, ALLOW, ALLOW),
        "masked_in_emergency": (ALLOW, ALLOW, ALLOW),
        "hidden_from_patient": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_reps": (ALLOW, ALLOW, ALLOW),
        "imaging": (ALLOW, ALLOW, ALLOW),
    },
    # A legal representative: as the patient, minus what is hidden from representatives.
    "legal_representative": {
        "plain": (ALLOW, ALLOW, ALLOW),
        "masked": (ALLOW, ALLOW, ALLOW),
        "masked_in_emergency": (ALLOW, ALLOW, ALLOW),
        "hidden_from_patient": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_reps": (INVISIBLE, ALLOW, INVISIBLE),
        "imaging": (ALLOW, ALLOW, ALLOW),
    },
    # A caregiver with documents delegated: reads like a representative, writes nothing.
    "caregiver_documents": {
        "plain": (ALLOW, FORBIDDEN, FORBIDDEN),
        "masked": (ALLOW, FORBIDDEN, FORBIDDEN),
        "masked_in_emergency": (ALLOW, FORBIDDEN, FORBIDDEN),
        "hidden_from_patient": (INVISIBLE, FORBIDDEN, FORBIDDEN),
        "hidden_from_reps": (INVISIBLE, FORBIDDEN, FORBIDDEN),
        "imaging": (ALLOW, FORBIDDEN, FORBIDDEN),
    },
    # A caregiver without documents delegated, or whose delegation expired: nothing.
    "caregiver_agenda_only": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "caregiver_expired": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # The médecin traitant reads everything, masked included; deletes only what they authored.
    "medecin_traitant": {
        "plain": (ALLOW, ALLOW, FORBIDDEN),
        "masked": (ALLOW, ALLOW, FORBIDDEN),
        "masked_in_emergency": (ALLOW, ALLOW, FORBIDDEN),
        "hidden_from_patient": (ALLOW, ALLOW, FORBIDDEN),
        "hidden_from_reps": (ALLOW, ALLOW, FORBIDDEN),
        "imaging": (ALLOW, ALLOW, FORBIDDEN),
    },
    # A physician of the care team: never masked documents, which they cannot learn exist.
    "care_team_physician": {
        "plain": (ALLOW, ALLOW, FORBIDDEN),
        "masked": (INVISIBLE, ALLOW, INVISIBLE),
        "masked_in_emergency": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_patient": (ALLOW, ALLOW, FORBIDDEN),
        "hidden_from_reps": (ALLOW, ALLOW, FORBIDDEN),
        "imaging": (ALLOW, ALLOW, FORBIDDEN),
    },
    # A pharmacist of the care team: lab results yes, imaging no (profession matrix).
    "care_team_pharmacist": {
        "plain": (ALLOW, ALLOW, FORBIDDEN),
        "masked": (INVISIBLE, ALLOW, INVISIBLE),
        "masked_in_emergency": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_patient": (ALLOW, ALLOW, FORBIDDEN),
        "hidden_from_reps": (ALLOW, ALLOW, FORBIDDEN),
        "imaging": (INVISIBLE, ALLOW, INVISIBLE),
    },
    # The author (a pharmacist here) always sees and may delete their own documents.
    "author": dict.fromkeys(FLAGS, (ALLOW, ALLOW, ALLOW)),
    # Emergency access: reads masked documents unless masked even in emergencies; writes nothing.
    "emergency": {
        "plain": (ALLOW, FORBIDDEN, FORBIDDEN),
        "masked": (ALLOW, FORBIDDEN, FORBIDDEN),
        "masked_in_emergency": (INVISIBLE, FORBIDDEN, FORBIDDEN),
        "hidden_from_patient": (ALLOW, FORBIDDEN, FORBIDDEN),
        "hidden_from_reps": (ALLOW, FORBIDDEN, FORBIDDEN),
        "imaging": (ALLOW, FORBIDDEN, FORBIDDEN),
    },
    "emergency_expired": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # Blocked: nothing, even from the care team, even the author, even in an emergency.
    "blocked_care_team": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "blocked_author": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "blocked_in_emergency": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "professional_outside": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "other_patient": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "operator": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # A representative's token acting for another space opens only that one.
    "representative_token_for_other_space": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    # An app never reads more than the person who authorized it: for the patient,
    # what the patient reads; authorized by a parent, what the parent reads.
    "app_authorized_by_the_patient": {
        "plain": (ALLOW, ALLOW, ALLOW),
        "masked": (ALLOW, ALLOW, ALLOW),
        "masked_in_emergency": (ALLOW, ALLOW, ALLOW),
        "hidden_from_patient": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_reps": (ALLOW, ALLOW, ALLOW),
        "imaging": (ALLOW, ALLOW, ALLOW),
    },
    "app_authorized_by_a_parent": {
        "plain": (ALLOW, ALLOW, ALLOW),
        "masked": (ALLOW, ALLOW, ALLOW),
        "masked_in_emergency": (ALLOW, ALLOW, ALLOW),
        "hidden_from_patient": (INVISIBLE, ALLOW, INVISIBLE),
        "hidden_from_reps": (INVISIBLE, ALLOW, INVISIBLE),
        "imaging": (ALLOW, ALLOW, ALLOW),
    },
    "app_for_another_space": dict.fromkeys(FLAGS, (FORBIDDEN, FORBIDDEN, FORBIDDEN)),
}

SPACE = uuid.UUID("00000000-0000-7000-8000-0000000000a1")
ME = uuid.UUID("00000000-0000-7000-8000-0000000000b2")
PRO = uuid.UUID("00000000-0000-7000-8000-0000000000c3")


@dataclass(frozen=True)
class Case:
    principal: Principal
    facts: SpaceFacts
    author: bool = False


def _principal(kind: PrincipalKind, **fields: object) -> Principal:
    base = {
        "account_id": uuid.uuid4(),
        "display_name": "x",
        "client_id": "c",
        "scopes": frozenset(),
        "token_id": "t",
    }
    return Principal(kind=kind, **base, **fields)  # type: ignore[arg-type]


def _cases() -> dict[str, Case]:
    now = utcnow()
    space = SpaceFacts(patient_id=SPACE, exists=True, open=True)
    patient = _principal(PrincipalKind.PATIENT, patient_id=ME, acting_for=ME)
    physician = _principal(PrincipalKind.PROFESSIONAL, professional_id=PRO, profession="physician")
    pharmacist = _principal(PrincipalKind.PROFESSIONAL, professional_id=PRO, profession="pharmacist")
    emergency = EmergencyFacts(uuid.uuid4(), "Unconscious patient", now + timedelta(hours=1))
    past = EmergencyFacts(uuid.uuid4(), "Unconscious patient", now - timedelta(minutes=1))
    legal = replace(space, representation_kind="LEGAL_REPRESENTATIVE")
    return {
        "self": Case(
            _principal(PrincipalKind.PATIENT, patient_id=SPACE, acting_for=SPACE),
            replace(space, is_self=True),
        ),
        "legal_representative": Case(patient, legal),
        "caregiver_documents": Case(
            patient,
            replace(space, representation_kind="CAREGIVER", representation_parts=frozenset({"DOCUMENTS"})),
        ),
        "caregiver_agenda_only": Case(
            patient,
            replace(space, representation_kind="CAREGIVER", representation_parts=frozenset({"AGENDA"})),
        ),
        "caregiver_expired": Case(
            patient,
            replace(
                space,
                representation_kind="CAREGIVER",
                representation_parts=frozenset({"DOCUMENTS"}),
                representation_expires_at=now - timedelta(days=1),
            ),
        ),
        "medecin_traitant": Case(physician, replace(space, care_role=CareRole.MEDECIN_TRAITANT)),
        "care_team_physician": Case(physician, replace(space, care_role=CareRole.DECLARED_BY_PATIENT)),
        "care_team_pharmacist": Case(pharmacist, replace(space, care_role=CareRole.DECLARED_BY_PATIENT)),
        "author": Case(pharmacist, replace(space, care_role=CareRole.SELF_DECLARED), author=True),
        "emergency": Case(physician, replace(space, emergency=emergency)),
        "emergency_expired": Case(physician, replace(space, emergency=past)),
        "blocked_care_team": Case(
            physician, replace(space, care_role=CareRole.MEDECIN_TRAITANT, blocked=True)
        ),
        "blocked_author": Case(
            pharmacist, replace(space, care_role=CareRole.DECLARED_BY_PATIENT, blocked=True), author=True
        ),
        "blocked_in_emergency": Case(physician, replace(space, emergency=emergency, blocked=True)),
        "professional_outside": Case(physician, space),
        "other_patient": Case(patient, space),
        "operator": Case(_principal(PrincipalKind.OPERATOR, operator_id=ME), space),
        "representative_token_for_other_space": Case(
            _principal(PrincipalKind.REPRESENTATIVE, patient_id=ME, acting_for=uuid.uuid4()), legal
        ),
        "app_authorized_by_the_patient": Case(
            _principal(PrincipalKind.APP, patient_id=SPACE, acting_for=SPACE), replace(space, is_self=True)
        ),
        "app_authorized_by_a_parent": Case(
            _principal(PrincipalKind.APP, patient_id=ME, acting_for=SPACE), legal
        ),
        "app_for_another_space": Case(
            _principal(PrincipalKind.APP, patient_id=ME, acting_for=uuid.uuid4()), legal
        ),
    }


def _combinations() -> list[tuple[str, str, Action, DocumentDecision]]:
    rows = []
    for relationship, by_flag in EXPECTED.items():
        for flag, expected in by_flag.items():
            for action, decision in zip((Action.READ, Action.CREATE, Action.DELETE), expected, strict=True):
                rows.append((relationship, flag, action, decision))
    return rows


def test_the_table_covers_every_relationship_and_flag() -> None:
    assert set(EXPECTED) == set(_cases())
    assert all(set(by_flag) == set(FLAGS) for by_flag in EXPECTED.values())


@pytest.mark.parametrize(("relationship", "flag", "action", "expected"), _combinations())
def test_document_rules(relationship: str, flag: str, action: Action, expected: DocumentDecision) -> None:
    case = _cases()[relationship]
    document = FLAGS[flag]
    if case.author:
        document = replace(document, author_professional_id=case.principal.professional_id)
    assert document_decision(case.principal, case.facts, document, action, utcnow()) is expected


def test_download_follows_read() -> None:
    for relationship, case in _cases().items():
        for flag, flagged in FLAGS.items():
            document = flagged
            if case.author:
                document = replace(flagged, author_professional_id=case.principal.professional_id)
            read = document_decision(case.principal, case.facts, document, Action.READ, utcnow())
            download = document_decision(case.principal, case.facts, document, Action.DOWNLOAD, utcnow())
            assert read is download, (relationship, flag)


def test_a_closed_space_is_readable_by_no_one() -> None:
    for relationship, case in _cases().items():
        closed = replace(case.facts, open=False)
        assert (
            document_decision(case.principal, closed, FLAGS["plain"], Action.READ, utcnow()) is FORBIDDEN
        ), relationship


# --- the same rules, with relationships recorded in the database ---------------------


async def _professional(database, patient, relationship: str):
    """A professional whose relationship to `patient` is `relationship`, recorded."""
    profession = (
        "pharmacist" if relationship in ("care_team_pharmacist", "author", "blocked_author") else "physician"
    )
    professional = await factories.make_professional(database, profession=profession)
    principal = _principal(
        PrincipalKind.PROFESSIONAL, professional_id=professional.person_id, profession=profession
    )
    author = relationship in ("author", "blocked_author")
    if relationship in ("medecin_traitant", "blocked_care_team"):
        await factories.add_to_care_team(database, patient, professional, CareRole.MEDECIN_TRAITANT)
    elif relationship in ("care_team_physician", "care_team_pharmacist", "author", "blocked_author"):
        await factories.add_to_care_team(database, patient, professional)
    if relationship in ("emergency", "blocked_in_emergency"):
        await factories.open_emergency(database, patient, professional)
    if relationship == "emergency_expired":
        await factories.open_emergency(database, patient, professional, expires_in=timedelta(seconds=-1))
    if relationship.startswith("blocked"):
        await factories.block(database, patient, professional)
    return principal, author


async def _recorded(database, relationship: str):
    """A space, a principal and the rows that make `relationship` true, then the facts as loaded."""
    patient = await factories.make_patient(database)
    author = False
    if relationship == "self":
        principal = _principal(
            PrincipalKind.PATIENT, patient_id=patient.person_id, acting_for=patient.person_id
        )
    elif relationship == "app_authorized_by_the_patient":
        principal = _principal(PrincipalKind.APP, patient_id=patient.person_id, acting_for=patient.person_id)
    elif relationship in ("app_authorized_by_a_parent", "app_for_another_space"):
        parent = await factories.make_patient(database)
        await factories.represent(database, patient, parent)
        acting_for = patient.person_id if relationship == "app_authorized_by_a_parent" else uuid.uuid4()
        principal = _principal(PrincipalKind.APP, patient_id=parent.person_id, acting_for=acting_for)
    elif relationship in (
        "legal_representative",
        "caregiver_documents",
        "caregiver_agenda_only",
        "caregiver_expired",
        "other_patient",
        "representative_token_for_other_space",
    ):
        other = await factories.make_patient(database)
        acting_for = (
            uuid.uuid4() if relationship == "representative_token_for_other_space" else other.person_id
        )
        kind = (
            PrincipalKind.REPRESENTATIVE
            if relationship == "representative_token_for_other_space"
            else PrincipalKind.PATIENT
        )
        principal = _principal(kind, patient_id=other.person_id, acting_for=acting_for)
        if relationship in ("legal_representative", "representative_token_for_other_space"):
            await factories.represent(database, patient, other)
        elif relationship.startswith("caregiver"):
            parts = "AGENDA" if relationship == "caregiver_agenda_only" else "DOCUMENTS AGENDA"
            expires = utcnow() + (
                timedelta(days=-1) if relationship == "caregiver_expired" else timedelta(days=30)
            )
            await factories.represent(
                database, patient, other, kind="CAREGIVER", parts=parts, expires_at=expires
            )
    elif relationship == "operator":
        principal = _principal(PrincipalKind.OPERATOR, operator_id=uuid.uuid4())
    else:
        principal, author = await _professional(database, patient, relationship)
    async with database.read() as connection:
        facts = (await load_space_facts(connection, principal, [patient.person_id], utcnow()))[
            patient.person_id
        ]
    return principal, facts, author


@pytest.mark.parametrize("relationship", sorted(EXPECTED))
async def test_document_rules_on_recorded_relationships(database, relationship: str) -> None:
    principal, facts, author = await _recorded(database, relationship)
    for flag, expected in EXPECTED[relationship].items():
        document = FLAGS[flag]
        if author:
            document = replace(document, author_professional_id=principal.professional_id)
        for action, decision in zip((Action.READ, Action.CREATE, Action.DELETE), expected, strict=True):
            assert document_decision(principal, facts, document, action, utcnow()) is decision, (flag, action)


@pytest.mark.parametrize(
    ("part", "action", "allowed"),
    [
        ("IDENTITY", Action.READ, True),
        ("CARE_TEAM", Action.READ, True),
        ("CARE_TEAM", Action.UPDATE, False),
        ("JOURNAL", Action.READ, False),
        ("SETTINGS", Action.READ, False),
        ("SETTINGS", Action.UPDATE, False),
    ],
)
def test_an_app_acting_for_its_patient_never_reads_the_journal_nor_manages_access(
    part, action, allowed
) -> None:
    from api.access.policy import SpacePart, space_decision

    app = _principal(PrincipalKind.APP, patient_id=SPACE, acting_for=SPACE)
    facts = SpaceFacts(patient_id=SPACE, exists=True, open=True, is_self=True)
    assert space_decision(app, facts, action, SpacePart(part), utcnow()).allowed is allowed
