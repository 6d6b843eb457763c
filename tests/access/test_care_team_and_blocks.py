"""Care teams and blocks over GraphQL, with tokens issued before the change."""

from __future__ import annotations

import uuid

from api.access.models import CareRole
from api.graphql.ids import encode_id
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries, events

READ = "query($id: ID!) { patient(id: $id) { displayName } }"
BLOCK = """mutation($p: ID!, $pro: ID!) { blockProfessional(patientId: $p, professionalId: $pro) {
  patient { blockedProfessionals { id } } userErrors { field message code } } }"""
UNBLOCK = """mutation($p: ID!, $pro: ID!) { unblockProfessional(patientId: $p, professionalId: $pro) {
  patient { blockedProfessionals { id } } userErrors { field message code } } }"""
DECLARE = """mutation($input: DeclareCareRelationshipInput!) { declareCareRelationship(input: $input) {
  patient { careTeam { role professional { id } } } userErrors { field message code } } }"""


async def test_a_professional_outside_the_care_team_is_forbidden(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    outsider = await factories.make_professional(database)
    body = await gql(READ, {"id": patient.global_id}, token=await token_of(outsider))
    assert error_codes(body) == ["FORBIDDEN"]
    # The attempt is in the patient's journal, as a refusal: nothing was read.
    journal = await entries(database, patient.person_id)
    assert [(entry.action, entry.actor_account_id) for entry in journal] == [("DENIED", outsider.account_id)]


async def test_the_demo_cardiologist_is_forbidden_on_nadia_and_told_her_id_by_ins(gql, database) -> None:
    nadia = await gql("{ patient { id } }", as_="nadia")
    nadia_id = nadia["data"]["patient"]["id"]
    body = await gql(READ, {"id": nadia_id}, as_="cardiologist")
    assert error_codes(body) == ["FORBIDDEN"]
    ins = await _ins_of(database, "nadia")
    body = await gql(
        "query($ins: String!) { patientByIns(ins: $ins) { id } }", {"ins": ins}, as_="cardiologist"
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["extensions"]["patientId"] == nadia_id


async def _ins_of(database, handle: str) -> str:
    from sqlalchemy import select

    from api.directory.models import Account, Patient

    async with database.read() as connection:
        return await connection.scalar(
            select(Patient.ins)
            .join(Account, Account.patient_id == Patient.id)
            .where(Account.handle == handle)
        )


async def test_patient_by_ins_for_the_care_team(gql, database) -> None:
    ins = await _ins_of(database, "nadia")
    body = await gql(
        "query($ins: String!) { patientByIns(ins: $ins) { displayName } }", {"ins": ins}, as_="gp"
    )
    assert body["data"]["patientByIns"] == {"displayName": "Nadia Benali"}


async def test_patient_by_ins_refuses_bad_input_and_non_professionals(gql) -> None:
    for bad in ["", "123", "272117511204599", "x" * 15]:
        body = await gql("query($ins: String!) { patientByIns(ins: $ins) { id } }", {"ins": bad}, as_="gp")
        assert error_codes(body) == ["BAD_USER_INPUT"], bad
    unknown = "1991275000001" + f"{97 - int('1991275000001') % 97:02d}"
    body = await gql("query($ins: String!) { patientByIns(ins: $ins) { id } }", {"ins": unknown}, as_="gp")
    assert error_codes(body) == ["NOT_FOUND"]
    body = await gql("query($ins: String!) { patientByIns(ins: $ins) { id } }", {"ins": unknown}, as_="nadia")
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_block_takes_effect_on_the_next_request_with_the_same_token(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, professional, CareRole.MEDECIN_TRAITANT)
    pro_token, patient_token = await token_of(professional), await token_of(patient)

    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=pro_token)
    blocked = await gql(BLOCK, {"p": patient.global_id, "pro": professional.global_id}, token=patient_token)
    assert blocked["data"]["blockProfessional"] == {
        "patient": {"blockedProfessionals": [{"id": professional.global_id}]},
        "userErrors": [],
    }
    refused = await gql(READ, {"id": patient.global_id}, token=pro_token)
    assert error_codes(refused) == ["FORBIDDEN"]
    # Not even emergency access for a blocked professional.
    emergency = await gql(
        """mutation($p: ID!) { openEmergencyAccess(patientId: $p, reason: "Patient unconscious on arrival") {
          userErrors { message } } }""",
        {"p": patient.global_id},
        token=pro_token,
    )
    assert error_codes(emergency) == ["FORBIDDEN"]

    unblocked = await gql(
        UNBLOCK, {"p": patient.global_id, "pro": professional.global_id}, token=patient_token
    )
    assert unblocked["data"]["unblockProfessional"]["patient"]["blockedProfessionals"] == []
    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=pro_token)


async def test_blocking_is_for_the_patient_side_only(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, professional, CareRole.MEDECIN_TRAITANT)
    body = await gql(
        BLOCK, {"p": patient.global_id, "pro": professional.global_id}, token=await token_of(professional)
    )
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(
        "query($id: ID!) { patient(id: $id) { blockedProfessionals { id } } }",
        {"id": patient.global_id},
        token=await token_of(professional),
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_block_refuses_bad_ids_as_user_errors_and_changes_nothing(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    for bad in ["nonsense", patient.global_id]:
        body = await gql(BLOCK, {"p": patient.global_id, "pro": bad}, token=token)
        payload = body["data"]["blockProfessional"]
        assert payload["patient"] is None
        assert payload["userErrors"][0]["field"] == ["professionalId"]
    missing = factories.TestProfessional("x", patient.account_id, __import__("uuid").uuid4(), "x").global_id
    body = await gql(BLOCK, {"p": patient.global_id, "pro": missing}, token=token)
    assert body["data"]["blockProfessional"]["userErrors"][0]["message"] == "No such professional."
    check = await gql(
        "query($id: ID!) { patient(id: $id) { blockedProfessionals { id } } }",
        {"id": patient.global_id},
        token=token,
    )
    assert check["data"]["patient"]["blockedProfessionals"] == []


async def test_the_patient_declares_a_medecin_traitant_and_the_previous_one_stays_in_the_team(
    gql, database, token_of
) -> None:
    patient = await factories.make_patient(database)
    first, second = await factories.make_professional(database), await factories.make_professional(database)
    token = await token_of(patient)
    for professional in (first, second):
        body = await gql(
            DECLARE,
            {
                "input": {
                    "patientId": patient.global_id,
                    "professionalId": professional.global_id,
                    "role": "MEDECIN_TRAITANT",
                }
            },
            token=token,
        )
        assert body["data"]["declareCareRelationship"]["userErrors"] == []
    team = {
        m["professional"]["id"]: m["role"]
        for m in body["data"]["declareCareRelationship"]["patient"]["careTeam"]
    }
    assert team == {first.global_id: "DECLARED_BY_PATIENT", second.global_id: "MEDECIN_TRAITANT"}
    # Patients acting in their own space are not journaled.
    assert await entries(database, patient.person_id) == []


async def test_a_professional_self_declares_with_recorded_consent(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database, profession="nurse")
    token = await token_of(professional)
    no_consent = await gql(DECLARE, {"input": {"patientId": patient.global_id}}, token=token)
    assert no_consent["data"]["declareCareRelationship"]["userErrors"][0]["field"] == ["consentStatement"]
    assert error_codes(await gql(READ, {"id": patient.global_id}, token=token)) == ["FORBIDDEN"]

    body = await gql(
        DECLARE,
        {
            "input": {
                "patientId": patient.global_id,
                "consentStatement": "Oral consent at the home visit of 29/11",
            }
        },
        token=token,
    )
    assert body["data"]["declareCareRelationship"]["userErrors"] == []
    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=token)
    logged = await entries(database, patient.person_id)
    # The read refused before the declaration, then the declaration.
    assert [(e.action, e.object_type) for e in logged][:2] == [
        ("DENIED", "Identity"),
        ("CREATE", "CareRelationship"),
    ]
    assert len(await events(database, patient.person_id, "access.care_relationship_declared")) == 1


async def test_a_blocked_professional_cannot_self_declare(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.block(database, patient, professional)
    body = await gql(
        DECLARE,
        {"input": {"patientId": patient.global_id, "consentStatement": "The patient said yes on the phone"}},
        token=await token_of(professional),
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_the_patient_cannot_declare_a_blocked_professional_or_self_declare(
    gql, database, token_of
) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.block(database, patient, professional)
    token = await token_of(patient)
    body = await gql(
        DECLARE,
        {"input": {"patientId": patient.global_id, "professionalId": professional.global_id}},
        token=token,
    )
    assert "blocked" in body["data"]["declareCareRelationship"]["userErrors"][0]["message"]
    body = await gql(
        DECLARE,
        {
            "input": {
                "patientId": patient.global_id,
                "professionalId": professional.global_id,
                "role": "SELF_DECLARED",
            }
        },
        token=token,
    )
    assert body["data"]["declareCareRelationship"]["userErrors"][0]["field"] == ["role"]


async def test_ending_a_care_relationship(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, professional)
    mutation = """mutation($p: ID!, $pro: ID!) { endCareRelationship(patientId: $p, professionalId: $pro) {
      patient { careTeam { role } } userErrors { field message } } }"""
    token = await token_of(patient)
    body = await gql(mutation, {"p": patient.global_id, "pro": professional.global_id}, token=token)
    assert body["data"]["endCareRelationship"] == {"patient": {"careTeam": []}, "userErrors": []}
    again = await gql(mutation, {"p": patient.global_id, "pro": professional.global_id}, token=token)
    assert again["data"]["endCareRelationship"]["userErrors"][0]["field"] == ["professionalId"]
    assert error_codes(await gql(READ, {"id": patient.global_id}, token=await token_of(professional))) == [
        "FORBIDDEN"
    ]


async def test_an_operator_reads_no_patient_data(gql, database) -> None:
    nadia = (await gql("{ patient { id } }", as_="nadia"))["data"]["patient"]["id"]
    body = await gql(
        "query($id: ID!) { patient(id: $id) { careTeam { role } } }", {"id": nadia}, as_="operator"
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_concurrent_identical_blocks_never_fail_with_an_internal_error(gql, database, token_of) -> None:
    import asyncio

    patient = await factories.make_patient(database)
    professional = await factories.make_professional(database)
    token = await token_of(patient)
    client = gql.__class__(gql._client, gql._token_for)

    async def block_once() -> dict:
        return await client(BLOCK, {"p": patient.global_id, "pro": professional.global_id}, token=token)

    bodies = await asyncio.gather(*(block_once() for _ in range(8)))
    codes = {code for body in bodies for code in error_codes(body)}
    assert codes <= {"CONFLICT"}
    assert any("errors" not in body for body in bodies)
    check = await gql(
        "query($id: ID!) { patient(id: $id) { blockedProfessionals { id } } }",
        {"id": patient.global_id},
        token=token,
    )
    assert check["data"]["patient"]["blockedProfessionals"] == [{"id": professional.global_id}]


async def test_refused_attempts_on_real_spaces_are_journaled_and_nothing_else(
    gql, database, token_of
) -> None:
    """Issue #10: an attempt the policy refuses on a space that exists is in that
    space's journal (DENIED, the part or the kind of object, never a hidden object's
    id); an unknown id journals nothing; the patient's own refusals are not journaled
    (what is hidden from them must not show there); a refusal is no first visit."""
    patient = await factories.make_patient(database)
    outsider = await factories.make_professional(database)
    token = await token_of(outsider)

    assert error_codes(await gql(READ, {"id": patient.global_id}, token=token)) == ["FORBIDDEN"]
    unknown = encode_id("Patient", uuid.uuid4())
    assert error_codes(await gql(READ, {"id": unknown}, token=token)) == ["FORBIDDEN"]

    journal = await entries(database, patient.person_id)
    assert [(e.action, e.object_type, e.object_id, e.actor_kind) for e in journal] == [
        ("DENIED", "Identity", None, "PROFESSIONAL")
    ]
    assert await events(database, patient.person_id, "access.first_professional_access") == []
    assert await entries(database, uuid.UUID(int=0)) == []
