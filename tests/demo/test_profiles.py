"""The demo's medical profiles: entered by whom they would be in life, through
the profile service (so journaled), idempotently."""

from __future__ import annotations

from api.demo.profile import ENTRIES, MEASUREMENTS, enter_demo_profiles
from api.identity.dev_tokens import find_account
from tests.journal.helpers import entries

PROFILE = """{ patient { profile { conditions { label enteredBy } allergies { label }
  measurements(first: 20, kind: HBA1C) { edges { node { value unit enteredBy } } } } } }"""


async def test_the_demo_profiles_are_entered_once_and_journaled(database, gql, token_for) -> None:
    first = await enter_demo_profiles(database)
    assert first in (0, len(ENTRIES) + len(MEASUREMENTS))  # 0 when another test loaded them already
    assert await enter_demo_profiles(database) == 0

    body = await gql(PROFILE, token=await token_for("nadia"))
    profile = body["data"]["patient"]["profile"]
    assert {"label": "Diabète de type 2", "enteredBy": "Dr Julien Morel"} in profile["conditions"]
    assert {"label": "Pénicilline"} in profile["allergies"]
    hba1c = [edge["node"]["value"] for edge in profile["measurements"]["edges"]]
    assert sorted(hba1c) == [7.1, 7.1, 7.3, 7.6]

    nadia = await find_account(database, "nadia")
    logged = {(e.action, e.object_type, e.actor_kind) for e in await entries(database, nadia.patient_id)}
    assert ("CREATE", "ProfileEntry", "PROFESSIONAL") in logged  # the GP's entries
    toddler = await find_account(database, "toddler")
    logged = {(e.action, e.object_type, e.actor_kind) for e in await entries(database, toddler.patient_id)}
    assert ("CREATE", "ProfileEntry", "REPRESENTATIVE") in logged  # the parent's
