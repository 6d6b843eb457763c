"""The patient's access journal over GraphQL: who reads it, filters, pages, notices."""

from __future__ import annotations

from api.access.models import CareRole
from api.journal import service as journal_service
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries, events

READ = "query($id: ID!) { patient(id: $id) { displayName } }"
LOG = """query($id: ID!, $first: Int, $after: String, $filter: AccessLogFilter) { patient(id: $id) {
  accessLog(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id actorKind actorName profession organizationName clientId
      action objectType objectId emergency reason professional { id } } } } } }"""


async def _space_with_readers(database, token_of, gql):
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    nurse = await factories.make_professional(database, profession="nurse")
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    await factories.add_to_care_team(database, patient, nurse)
    for reader in (gp, nurse, nurse):
        assert "errors" not in await gql(READ, {"id": patient.global_id}, token=await token_of(reader))
    return patient, gp, nurse


async def test_the_patient_reads_every_access_newest_first(gql, database, token_of) -> None:
    patient, gp, nurse = await _space_with_readers(database, token_of, gql)
    body = await gql(LOG, {"id": patient.global_id, "first": 10}, token=await token_of(patient))
    log = body["data"]["patient"]["accessLog"]
    assert log["totalCount"] == 3
    names = [edge["node"]["actorName"] for edge in log["edges"]]
    assert names == [nurse.name, nurse.name, gp.name]
    node = log["edges"][-1]["node"]
    assert node["actorKind"] == "PROFESSIONAL"
    assert node["profession"] == "physician"
    assert node["organizationName"] == f"Org {gp.handle}"
    assert node["clientId"] == "espace-dev-cli"
    assert (node["action"], node["objectType"], node["objectId"]) == ("READ", "Patient", patient.global_id)
    assert node["professional"] == {"id": gp.global_id}
    assert node["emergency"] is False
    # The patient reading their own journal is not itself journaled.
    assert len(await entries(database, patient.person_id)) == 3


async def test_pages_and_filters(gql, database, token_of) -> None:
    patient, gp, _nurse = await _space_with_readers(database, token_of, gql)
    token = await token_of(patient)
    first = await gql(LOG, {"id": patient.global_id, "first": 2}, token=token)
    page = first["data"]["patient"]["accessLog"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        LOG, {"id": patient.global_id, "first": 2, "after": page["pageInfo"]["endCursor"]}, token=token
    )
    rest = second["data"]["patient"]["accessLog"]
    assert [e["node"]["actorName"] for e in rest["edges"]] == [gp.name]
    assert rest["pageInfo"]["hasNextPage"] is False

    only_gp = await gql(
        LOG, {"id": patient.global_id, "first": 10, "filter": {"professionalId": gp.global_id}}, token=token
    )
    assert only_gp["data"]["patient"]["accessLog"]["totalCount"] == 1
    emergencies = await gql(
        LOG, {"id": patient.global_id, "first": 10, "filter": {"emergencyOnly": True}}, token=token
    )
    assert emergencies["data"]["patient"]["accessLog"]["totalCount"] == 0
    apps = await gql(
        LOG, {"id": patient.global_id, "first": 10, "filter": {"actorKinds": ["APP"]}}, token=token
    )
    assert apps["data"]["patient"]["accessLog"]["edges"] == []
    today = await gql(
        LOG,
        {"id": patient.global_id, "first": 10, "filter": {"since": "2000-01-01", "until": "2000-12-31"}},
        token=token,
    )
    assert today["data"]["patient"]["accessLog"]["totalCount"] == 0


async def test_bad_pagination_input_is_refused(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    for variables in (
        {},
        {"first": 0},
        {"first": 101},
        {"first": 5, "after": "garbage"},
        {"first": 5, "after": "eHl6OjE="},
    ):
        body = await gql(LOG, {"id": patient.global_id, **variables}, token=token)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables


async def test_the_medecin_traitant_reads_the_journal_other_professionals_do_not(
    gql, database, token_of
) -> None:
    patient, gp, nurse = await _space_with_readers(database, token_of, gql)
    assert "errors" not in await gql(LOG, {"id": patient.global_id, "first": 5}, token=await token_of(gp))
    body = await gql(LOG, {"id": patient.global_id, "first": 5}, token=await token_of(nurse))
    assert error_codes(body) == ["FORBIDDEN"]
    logged = await entries(database, patient.person_id)
    assert ("READ", "AccessLog") in {(e.action, e.object_type) for e in logged}


async def test_an_entry_resolves_as_a_node_for_the_patient_only(gql, database, token_of) -> None:
    patient, _gp, nurse = await _space_with_readers(database, token_of, gql)
    body = await gql(LOG, {"id": patient.global_id, "first": 1}, token=await token_of(patient))
    entry_id = body["data"]["patient"]["accessLog"]["edges"][0]["node"]["id"]
    node_query = "query($id: ID!) { node(id: $id) { ... on AccessLogEntry { actorName } } }"
    found = await gql(node_query, {"id": entry_id}, token=await token_of(patient))
    assert found["data"]["node"] == {"actorName": nurse.name}
    refused = await gql(node_query, {"id": entry_id}, token=await token_of(nurse))
    assert error_codes(refused) == ["FORBIDDEN"]


async def test_a_first_access_by_a_new_professional_is_notified_once(gql, database, token_of) -> None:
    patient, gp, nurse = await _space_with_readers(database, token_of, gql)
    notices = await events(database, patient.person_id, "access.first_professional_access")
    assert sorted(n.payload["professionalId"] for n in notices) == sorted(
        [str(gp.person_id), str(nurse.person_id)]
    )


async def test_without_a_journal_no_data(gql, database, token_of, monkeypatch) -> None:
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp)

    async def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(journal_service, "append", broken)
    body = await gql(READ, {"id": patient.global_id}, token=await token_of(gp))
    assert gql.last_response.status_code == 503
    assert body["data"] is None
    assert error_codes(body) == ["SERVICE_UNAVAILABLE"]
    assert patient.name not in gql.last_response.text


async def test_each_actor_reads_the_entries_of_their_own_actions(gql, database, token_of) -> None:
    doctor = await factories.make_professional(database)
    spaces = [await factories.make_patient(database) for _ in range(3)]
    for space in spaces:
        await factories.add_to_care_team(database, space, doctor)
        query = "query($id: ID!) { patient(id: $id) { displayName careTeam { role } } }"
        assert "errors" not in await gql(query, {"id": space.global_id}, token=await token_of(doctor))
    own = """query($after: String) { viewer { accessLog(first: 4, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { objectType objectId actorName } } } } }"""
    token = await token_of(doctor)
    first = (await gql(own, token=token))["data"]["viewer"]["accessLog"]
    assert first["totalCount"] == 6
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(own, {"after": first["pageInfo"]["endCursor"]}, token=token))["data"]["viewer"][
        "accessLog"
    ]
    nodes = [edge["node"] for edge in first["edges"] + second["edges"]]
    assert len(nodes) == 6
    assert {node["actorName"] for node in nodes} == {doctor.name}
    # Parts of a space are named by the space's global id.
    assert {(n["objectType"], n["objectId"]) for n in nodes} == {
        (kind, space.global_id) for space in spaces for kind in ("Patient", "CareTeam")
    }
    # Someone else's journal entries are not in it.
    other = await factories.make_professional(database)
    assert (await gql(own, token=await token_of(other)))["data"]["viewer"]["accessLog"]["totalCount"] == 0


async def test_a_patient_who_declined_notices_of_new_professionals_gets_none(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor)
    declined = """mutation($p: ID!) {
      updateAccessPreferences(input: {patientId: $p, notifyNewProfessional: false}) {
        userErrors { message } } }"""
    body = await gql(declined, {"p": patient.global_id}, token=await token_of(patient))
    assert body["data"]["updateAccessPreferences"]["userErrors"] == []
    assert "errors" not in await gql(READ, {"id": patient.global_id}, token=await token_of(doctor))
    assert await events(database, patient.person_id, "access.first_professional_access") == []
    assert len(await entries(database, patient.person_id)) == 1  # journaled all the same


async def test_out_of_range_cursors_and_dates_are_bad_input_not_crashes(gql, database, token_of) -> None:
    import base64

    patient = await factories.make_patient(database)
    token = await token_of(patient)
    huge = base64.urlsafe_b64encode(f"journal:{10**30}".encode()).decode()
    negative = base64.urlsafe_b64encode(b"own-journal:-1").decode()
    body = await gql(LOG, {"id": patient.global_id, "first": 5, "after": huge}, token=token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    own = await gql(
        "query($a: String) { viewer { accessLog(first: 5, after: $a) { totalCount } } }",
        {"a": negative},
        token=token,
    )
    assert error_codes(own) == ["BAD_USER_INPUT"]
    far = await gql(
        LOG, {"id": patient.global_id, "first": 5, "filter": {"until": "9999-12-31"}}, token=token
    )
    assert error_codes(far) == ["BAD_USER_INPUT"]
