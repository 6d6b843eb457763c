"""`viewer`, `patient` and `node` for each kind of caller: deny, then allow."""

from __future__ import annotations

import uuid
from datetime import date

from api.graphql.ids import encode_id
from tests.conftest import error_codes


async def _own_patient_id(gql, handle: str) -> str:
    body = await gql("{ patient { id } }", as_=handle)
    return body["data"]["patient"]["id"]


async def test_nadia_sees_herself(gql) -> None:
    body = await gql("{ viewer { kind displayName } patient { displayName birthDate } }", as_="nadia")
    assert "errors" not in body
    assert body["data"]["viewer"] == {"kind": "PATIENT", "displayName": "Nadia Benali"}
    patient = body["data"]["patient"]
    assert patient["displayName"] == "Nadia Benali"
    birth = date.fromisoformat(patient["birthDate"])
    today = date.today()  # noqa: DTZ011 - the demo loaded today, in this process's zone
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    assert age == 54


async def test_viewer_patients_lists_the_own_space(gql) -> None:
    body = await gql("{ viewer { patients { id displayName } } patient { id } }", as_="nadia")
    assert body["data"]["viewer"]["patients"] == [
        {"id": body["data"]["patient"]["id"], "displayName": "Nadia Benali"}
    ]


async def test_patient_by_id_answers_the_same_space(gql) -> None:
    own = await _own_patient_id(gql, "nadia")
    body = await gql("query($id: ID!) { patient(id: $id) { id displayName } }", {"id": own}, as_="nadia")
    assert body["data"]["patient"] == {"id": own, "displayName": "Nadia Benali"}


async def test_a_patient_may_not_open_another_space(gql) -> None:
    senior = await _own_patient_id(gql, "senior")
    body = await gql("query($id: ID!) { patient(id: $id) { displayName } }", {"id": senior}, as_="nadia")
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["patient"] is None


async def test_refusal_does_not_tell_whether_a_space_exists(gql) -> None:
    missing = encode_id("Patient", uuid.UUID(int=1))
    body = await gql("query($id: ID!) { patient(id: $id) { displayName } }", {"id": missing}, as_="nadia")
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_professional_outside_any_relationship_is_forbidden(gql) -> None:
    nadia = await _own_patient_id(gql, "nadia")
    body = await gql(
        "query($id: ID!) { patient(id: $id) { displayName } }", {"id": nadia}, as_="cardiologist"
    )
    assert error_codes(body) == ["FORBIDDEN"]


async def test_a_professional_must_name_the_patient(gql) -> None:
    body = await gql("{ patient { displayName } }", as_="gp")
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_an_operator_never_reads_patient_data(gql) -> None:
    nadia = await _own_patient_id(gql, "nadia")
    body = await gql("query($id: ID!) { patient(id: $id) { displayName } }", {"id": nadia}, as_="operator")
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql("{ patient { displayName } viewer { kind patients { id } } }", as_="operator")
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["viewer"] == {"kind": "OPERATOR", "patients": []}


async def test_a_professional_viewer_shows_the_directory_entry(gql) -> None:
    body = await gql(
        """{ viewer { kind displayName
              professional { rpps profession specialty organization { name kind finess } } } }""",
        as_="gp",
    )
    viewer = body["data"]["viewer"]
    assert viewer["kind"] == "PROFESSIONAL"
    assert viewer["displayName"] == "Dr Julien Morel"
    assert viewer["professional"]["rpps"] == "10001352466"
    assert viewer["professional"]["organization"] == {
        "name": "Cabinet médical des Lilas",
        "kind": "PRIVATE_PRACTICE",
        "finess": "750041287",
    }


async def test_patient_id_must_be_a_patient_global_id(gql) -> None:
    for bad in ["nonsense", "UHJvZmVzc2lvbmFsOjE=", encode_id("Professional", uuid.uuid4())]:
        body = await gql("query($id: ID!) { patient(id: $id) { displayName } }", {"id": bad}, as_="nadia")
        assert error_codes(body) == ["BAD_USER_INPUT"], bad


async def test_node_resolves_a_professional_and_refuses_a_foreign_patient(gql) -> None:
    gp = await gql("{ viewer { professional { id displayName } } }", as_="gp")
    gp_node = gp["data"]["viewer"]["professional"]
    body = await gql(
        "query($id: ID!) { node(id: $id) { id ... on Professional { displayName } } }",
        {"id": gp_node["id"]},
        as_="nadia",
    )
    assert body["data"]["node"] == gp_node
    senior = await _own_patient_id(gql, "senior")
    body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": senior}, as_="nadia")
    assert error_codes(body) == ["FORBIDDEN"]


async def test_node_with_an_unknown_type_or_row_is_not_found(gql) -> None:
    for missing in [encode_id("Spaceship", uuid.uuid4()), encode_id("Professional", uuid.uuid4())]:
        body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": missing}, as_="nadia")
        assert error_codes(body) == ["NOT_FOUND"], missing


async def test_node_needs_a_token(gql) -> None:
    body = await gql('{ node(id: "UGF0aWVudDox") { id } }')
    assert error_codes(body) == ["UNAUTHENTICATED"]
