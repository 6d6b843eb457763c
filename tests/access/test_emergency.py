"""Emergency access (bris de glace): who may open it, what it allows, how it is traced."""

from __future__ import annotations

from datetime import datetime, timedelta

from api.access.models import CareRole
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries, events

OPEN = """mutation($p: ID!, $reason: String!) { openEmergencyAccess(patientId: $p, reason: $reason) {
  emergencyAccess { reason openedAt expiresAt regulation } patient { displayName }
  userErrors { field message code } } }"""
READ = "query($id: ID!) { patient(id: $id) { displayName } }"
REASON = "Unconscious after a road accident, no relative reachable"


async def test_an_emergency_access_opens_the_space_journals_with_its_reason_and_notifies(
    gql, database, token_of, settings
) -> None:
    patient = await factories.make_patient(database)
    medecin_traitant = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, medecin_traitant, CareRole.MEDECIN_TRAITANT)
    doctor = await factories.make_professional(database)
    token = await token_of(doctor)
    assert error_codes(await gql(READ, {"id": patient.global_id}, token=token)) == ["FORBIDDEN"]

    body = await gql(OPEN, {"p": patient.global_id, "reason": REASON}, token=token)
    payload = body["data"]["openEmergencyAccess"]
    assert payload["userErrors"] == []
    assert payload["patient"] == {"displayName": patient.name}
    opened = payload["emergencyAccess"]
    assert opened["reason"] == REASON
    assert opened["regulation"] is False
    lasts = datetime.fromisoformat(opened["expiresAt"]) - datetime.fromisoformat(opened["openedAt"])
    assert lasts == settings.emergency_access_duration

    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=token)
    logged = await entries(database, patient.person_id)
    # The refused read before, the opening, the payload's read, then the read above
    # (each of these three with the reason).
    assert [(e.action, e.object_type, e.emergency, e.reason) for e in logged] == [
        ("DENIED", "Identity", False, None),
        ("EMERGENCY_OPEN", "EmergencyAccess", True, REASON),
        ("READ", "Patient", True, REASON),
        ("READ", "Patient", True, REASON),
    ]
    (event,) = await events(database, patient.person_id, "access.emergency_opened")
    assert event.payload["reason"] == REASON
    assert event.payload["notify"] == ["patient", f"professional:{medecin_traitant.person_id}"]


async def test_emergency_access_needs_a_written_reason(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    for reason in ["", "   ", "urgent"]:
        body = await gql(OPEN, {"p": patient.global_id, "reason": reason}, token=await token_of(doctor))
        assert body["data"]["openEmergencyAccess"]["userErrors"][0]["field"] == ["reason"]
    assert await entries(database, patient.person_id) == []
    assert error_codes(await gql(READ, {"id": patient.global_id}, token=await token_of(doctor))) == [
        "FORBIDDEN"
    ]


async def test_a_patient_may_refuse_emergency_access_in_advance(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.refuse_emergency(database, patient)
    body = await gql(OPEN, {"p": patient.global_id, "reason": REASON}, token=await token_of(doctor))
    assert error_codes(body) == ["FORBIDDEN"]
    assert await entries(database, patient.person_id) == []


async def test_refusing_through_preferences(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    update = """mutation($p: ID!) {
      updateAccessPreferences(input: {patientId: $p, refusesEmergencyAccess: true}) {
      patient { accessPreferences { refusesEmergencyAccess notifyNewDocument } } userErrors { message } } }"""
    body = await gql(update, {"p": patient.global_id}, token=await token_of(patient))
    assert body["data"]["updateAccessPreferences"]["patient"]["accessPreferences"] == {
        "refusesEmergencyAccess": True,
        "notifyNewDocument": True,
    }
    body = await gql(OPEN, {"p": patient.global_id, "reason": REASON}, token=await token_of(doctor))
    assert error_codes(body) == ["FORBIDDEN"]
    empty = await gql(
        "mutation($p: ID!) { updateAccessPreferences(input: {patientId: $p}) { userErrors { message } } }",
        {"p": patient.global_id},
        token=await token_of(patient),
    )
    assert empty["data"]["updateAccessPreferences"]["userErrors"] == [{"message": "Nothing to change."}]


async def test_the_care_team_does_not_need_and_patients_cannot_open_emergency_access(
    gql, database, token_of
) -> None:
    patient = await factories.make_patient(database)
    member = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, member)
    for who in (member, patient):
        body = await gql(OPEN, {"p": patient.global_id, "reason": REASON}, token=await token_of(who))
        assert error_codes(body) == ["FORBIDDEN"]


async def test_the_regulation_doctor_opens_on_any_call(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    member = await factories.make_professional(database, emergency_regulation=True)
    await factories.add_to_care_team(database, patient, member)
    body = await gql(
        OPEN,
        {"p": patient.global_id, "reason": "Call to centre 15 from a relative"},
        token=await token_of(member),
    )
    assert body["data"]["openEmergencyAccess"]["emergencyAccess"]["regulation"] is True


async def test_an_expired_emergency_access_no_longer_opens_the_space(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.open_emergency(database, patient, doctor, expires_in=timedelta(seconds=-1))
    assert error_codes(await gql(READ, {"id": patient.global_id}, token=await token_of(doctor))) == [
        "FORBIDDEN"
    ]


async def test_emergency_access_reads_identity_but_never_the_journal_or_care_team(
    gql, database, token_of
) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.open_emergency(database, patient, doctor)
    token = await token_of(doctor)
    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=token)
    for field in ("careTeam { role }", "accessLog(first: 5) { totalCount }", "accessLogIntegrity { ok }"):
        body = await gql(
            f"query($id: ID!) {{ patient(id: $id) {{ {field} }} }}", {"id": patient.global_id}, token=token
        )
        assert error_codes(body) == ["FORBIDDEN"], field


async def test_control_characters_and_overlong_reasons_are_user_errors(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    for reason in ["Unconscious\x00 patient on arrival", "x" * 2001]:
        body = await gql(OPEN, {"p": patient.global_id, "reason": reason}, token=await token_of(doctor))
        assert body["data"]["openEmergencyAccess"]["userErrors"][0]["field"] == ["reason"]
    assert await entries(database, patient.person_id) == []
