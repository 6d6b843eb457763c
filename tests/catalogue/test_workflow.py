"""The vetting workflow, the sync of manifests, and the public catalogue."""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path

import pytest

from api.catalogue.manifest import Manifest
from api.catalogue.service import sync_manifests
from api.identity.scopes import available
from tests.conftest import error_codes
from tests.journal.helpers import events

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
REVIEW = """mutation($input: ReviewAppInput!) { reviewApp(input: $input) {
  app { clientId status scopes { scope } pendingScopes } userErrors { field message code } } }"""
APP = """query($id: String!) { catalogueApp(clientId: $id) {
  clientId status scopes(language: EN) { scope label } pendingScopes } }"""


def _manifest(**changes: object) -> Manifest:
    data = tomllib.loads((CATALOGUE / "glyco-compagnon.toml").read_text(encoding="utf-8"))
    data.update(client_id=f"test-app-{uuid.uuid4().hex[:10]}", name=f"Test {uuid.uuid4().hex[:6]}")
    data.update(changes)
    return Manifest.model_validate(data)


async def _review(
    gql, client_id: str, decision: str, *, as_: str = "operator", comment: str = "Checked all criteria"
):
    variables = {"input": {"clientId": client_id, "decision": decision, "comment": comment}}
    return await gql(REVIEW, variables, as_=as_)


async def _referenced(gql, database, manifest: Manifest) -> None:
    await sync_manifests(database, [manifest])
    for decision in ("START_REVIEW", "REFERENCE"):
        body = await _review(gql, manifest.client_id, decision)
        assert body["data"]["reviewApp"]["userErrors"] == [], body


async def test_a_new_app_is_submitted_and_not_public_until_referenced(gql, database) -> None:
    manifest = _manifest()
    report = await sync_manifests(database, [manifest])
    assert report.created == [manifest.client_id]
    assert (await gql(APP, {"id": manifest.client_id}))["data"]["catalogueApp"] is None
    operator_view = await gql(APP, {"id": manifest.client_id}, as_="operator")
    assert operator_view["data"]["catalogueApp"]["status"] == "SUBMITTED"

    started = await _review(gql, manifest.client_id, "START_REVIEW")
    assert started["data"]["reviewApp"]["app"]["status"] == "UNDER_REVIEW"
    referenced = await _review(gql, manifest.client_id, "REFERENCE")
    app = referenced["data"]["reviewApp"]["app"]
    assert app["status"] == "REFERENCED"
    # Those of plugins not enabled in this process are not offered.
    assert [s["scope"] for s in app["scopes"]] == available(sorted(manifest.scope_names))
    public = await gql(APP, {"id": manifest.client_id})
    assert public["data"]["catalogueApp"]["scopes"][0]["label"] == "Read your health agenda"


async def test_every_step_is_recorded_with_who_and_why(gql, database) -> None:
    manifest = _manifest()
    await _referenced(gql, database, manifest)
    history = await gql(
        """query($id: String!) { catalogueApp(clientId: $id) { reviewHistory {
          actorName decision fromStatus toStatus comment } } }""",
        {"id": manifest.client_id},
        as_="operator",
    )
    steps = history["data"]["catalogueApp"]["reviewHistory"]
    assert [(s["decision"], s["fromStatus"], s["toStatus"]) for s in steps] == [
        ("SUBMITTED", None, "SUBMITTED"),
        ("START_REVIEW", "SUBMITTED", "UNDER_REVIEW"),
        ("REFERENCE", "UNDER_REVIEW", "REFERENCED"),
    ]
    assert steps[1]["actorName"] == "Marc Olivier"
    assert steps[2]["comment"] == "Checked all criteria"
    refused = await gql(
        "query($id: String!) { catalogueApp(clientId: $id) { reviewHistory { decision } } }",
        {"id": manifest.client_id},
        as_="nadia",
    )
    assert error_codes(refused) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("decision", "field"),
    [("REFERENCE", "decision"), ("REINSTATE", "decision"), ("APPROVE_SCOPES", "decision")],
)
async def test_impossible_transitions_are_user_errors(gql, database, decision: str, field: str) -> None:
    manifest = _manifest()
    await sync_manifests(database, [manifest])
    body = await _review(gql, manifest.client_id, decision)
    payload = body["data"]["reviewApp"]
    assert payload["app"] is None
    assert payload["userErrors"][0]["field"] == [field]
    still = await gql(APP, {"id": manifest.client_id}, as_="operator")
    assert still["data"]["catalogueApp"]["status"] == "SUBMITTED"


async def test_review_needs_an_operator_a_known_app_and_a_reason(gql, database) -> None:
    manifest = _manifest()
    await sync_manifests(database, [manifest])
    for persona in ("nadia", "gp"):
        assert error_codes(await _review(gql, manifest.client_id, "START_REVIEW", as_=persona)) == [
            "FORBIDDEN"
        ]
    assert error_codes(
        await gql(REVIEW, {"input": {"clientId": "x", "decision": "WITHDRAW", "comment": "abcdef"}})
    ) == ["UNAUTHENTICATED"]
    unknown = await _review(gql, "no-such-app", "START_REVIEW")
    assert unknown["data"]["reviewApp"]["userErrors"][0]["field"] == ["clientId"]
    silent = await _review(gql, manifest.client_id, "START_REVIEW", comment="  ")
    assert silent["data"]["reviewApp"]["userErrors"][0]["field"] == ["comment"]
    bad_enum = await gql(
        REVIEW,
        {"input": {"clientId": manifest.client_id, "decision": "APPROVE_ALL", "comment": "ok ok"}},
        as_="operator",
    )
    assert error_codes(bad_enum) == ["BAD_USER_INPUT"]


async def test_suspension_hides_the_app_and_queues_a_notice(gql, database) -> None:
    manifest = _manifest()
    await _referenced(gql, database, manifest)
    suspended = await _review(gql, manifest.client_id, "SUSPEND", comment="Security audit expired")
    assert suspended["data"]["reviewApp"]["app"]["status"] == "SUSPENDED"
    assert (await gql(APP, {"id": manifest.client_id}))["data"]["catalogueApp"] is None
    notices = [
        e
        for e in await events(database, None, "catalogue.app_suspended")
        if e.payload["clientId"] == manifest.client_id
    ]
    assert notices
    assert notices[0].payload["reason"] == "Security audit expired"
    back = await _review(gql, manifest.client_id, "REINSTATE", comment="Audit renewed")
    assert back["data"]["reviewApp"]["app"]["status"] == "REFERENCED"
    gone = await _review(gql, manifest.client_id, "WITHDRAW", comment="Publisher closed")
    assert gone["data"]["reviewApp"]["app"]["status"] == "WITHDRAWN"
    again = await _review(gql, manifest.client_id, "WITHDRAW", comment="Publisher closed")
    assert again["data"]["reviewApp"]["userErrors"]


async def test_new_scopes_go_back_to_review_and_the_app_keeps_the_vetted_ones(gql, database) -> None:
    manifest = _manifest(
        scopes=[{"scope": "agenda:read", "justification": "Afficher les examens de suivi à venir."}]
    )
    await _referenced(gql, database, manifest)
    wider = Manifest.model_validate(
        {
            **manifest.model_dump(mode="json"),
            "scopes": [
                {"scope": "agenda:read", "justification": "Afficher les examens de suivi à venir."},
                {"scope": "documents:read", "justification": "Lire les résultats d'analyses de biologie."},
            ],
        }
    )
    report = await sync_manifests(database, [wider])
    assert report.scopes_to_review == {manifest.client_id: ["documents:read"]}
    app = (await gql(APP, {"id": manifest.client_id}))["data"]["catalogueApp"]
    assert app["status"] == "REFERENCED"
    assert [s["scope"] for s in app["scopes"]] == ["agenda:read"]
    assert app["pendingScopes"] == ["documents:read"]
    approved = await _review(gql, manifest.client_id, "APPROVE_SCOPES")
    assert [s["scope"] for s in approved["data"]["reviewApp"]["app"]["scopes"]] == [
        "agenda:read",
        "documents:read",
    ]
    # A scope dropped from the manifest is dropped from what the app may ask.
    narrower = Manifest.model_validate(
        {
            **wider.model_dump(mode="json"),
            "scopes": [
                {"scope": "documents:read", "justification": "Lire les résultats d'analyses de biologie."}
            ],
        }
    )
    await sync_manifests(database, [narrower])
    app = (await gql(APP, {"id": manifest.client_id}))["data"]["catalogueApp"]
    assert [s["scope"] for s in app["scopes"]] == ["documents:read"]


async def test_sync_twice_changes_nothing(database) -> None:
    manifest = _manifest()
    await sync_manifests(database, [manifest])
    report = await sync_manifests(database, [manifest])
    assert report.unchanged == [manifest.client_id]


async def test_the_public_catalogue_pages_filters_and_searches_without_a_token(gql, database) -> None:
    marker = uuid.uuid4().hex[:8]
    manifests = [_manifest(name=f"Zz {marker} {n}") for n in range(3)]
    for manifest in manifests:
        await _referenced(gql, database, manifest)
    query = """query($after: String, $search: String, $category: AppCategory) {
      catalogue(first: 2, after: $after, search: $search, category: $category) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id name } } } }"""
    first = (await gql(query, {"search": marker}))["data"]["catalogue"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql(query, {"search": marker, "after": first["pageInfo"]["endCursor"]}))["data"][
        "catalogue"
    ]
    names = [e["node"]["name"] for e in first["edges"] + second["edges"]]
    assert names == sorted(m.name for m in manifests)
    other_field = (await gql(query, {"search": marker, "category": "WELL_BEING"}))["data"]["catalogue"]
    assert other_field["totalCount"] == 0
    node = await gql(
        "query($id: ID!) { node(id: $id) { ... on CatalogueApp { name } } }",
        {"id": first["edges"][0]["node"]["id"]},
    )
    assert node["data"]["node"]["name"] == names[0]


async def test_catalogue_bad_input(gql) -> None:
    for variables in (
        {"first": 0},
        {"first": 500},
        {"first": 5, "after": "nope"},
        {"first": 5, "search": "x" * 101},
    ):
        body = await gql(
            """query($first: Int, $after: String, $search: String) {
              catalogue(first: $first, after: $after, search: $search) { totalCount } }""",
            variables,
        )
        assert error_codes(body) == ["BAD_USER_INPUT"], variables
    queue = await gql("{ catalogueReviewQueue(status: SUBMITTED, first: 5) { totalCount } }", as_="nadia")
    assert error_codes(queue) == ["FORBIDDEN"]
    anonymous = await gql("{ catalogueReviewQueue(status: SUBMITTED, first: 5) { totalCount } }")
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
