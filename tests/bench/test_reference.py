"""The reference endpoint answers what the GraphQL dashboard answers, and the
bench server puts it beside the product without changing the product."""

from __future__ import annotations

import os

import httpx
import pytest

from api.access.models import CareRole
from api.app import access_tokens
from api.bench.queries import DASHBOARD
from api.bench.reference import reference_app
from api.bench.scenarios import dashboard_year
from api.bench.server import beside
from tests import factories
from tests.conftest import TEST_DATABASE_ENV
from tests.messaging.test_threads import START

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV),
    reason="the reference endpoint reads PostgreSQL with asyncpg (the suite's PostgreSQL pass)",
)


async def test_the_reference_returns_the_dashboards_json(
    app, settings, database, contents, gql, token_of
) -> None:
    patient = await factories.make_patient(database)
    gp = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, gp, CareRole.MEDECIN_TRAITANT)
    for title in ("Bilan lipidique", "Compte rendu", "Ordonnance"):
        await factories.deposit(database, contents, patient, by=gp, title=title)
    await factories.deposit(database, contents, patient, title="Mon carnet")  # no author
    await factories.deposit(database, contents, patient, by=gp, title="Caché", hidden_from_patient=True)
    started = await gql(
        START,
        {
            "input": {
                "patientId": patient.global_id,
                "subject": "Résultats",
                "body": "Stables.",
                "attachmentIds": [],
            }
        },
        token=await token_of(gp),
    )
    assert started["data"]["startThread"]["userErrors"] == []
    token = await token_of(patient)
    year = dashboard_year()
    answer = await gql(DASHBOARD, {"year": year}, token=token)  # first: it refreshes the agenda
    assert "errors" not in answer, answer
    shown = answer["data"]["patient"]
    assert len(shown["documents"]["edges"]) == 4
    assert shown["threads"]["edges"][0]["node"]["unreadCount"] == 1
    combined = beside(app, reference_app(settings, access_tokens(settings)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=combined), base_url="http://bench"
    ) as client:
        reference = await client.get(
            f"/bench-reference/dashboard?year={year}", headers={"Authorization": f"Bearer {token}"}
        )
        refused = await client.get("/bench-reference/dashboard", headers={"Authorization": "Bearer nope"})
        product = await client.get("/healthz")
    assert reference.status_code == 200
    assert reference.json() == answer
    assert refused.status_code == 401
    assert product.json()["status"] == "ok"
