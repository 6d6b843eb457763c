"""Fuzzing (issue #10): operations generated from the schema, as every kind of caller.

hypothesis-graphql writes valid queries and mutations from `schema.graphql` (any root field,
any selection, any argument); each is posted through the ASGI app as a persona: patients
(nadia, parent, caregiver), professionals (gp, pharmacist), the operator, an anonymous caller
and an app-like token with two scopes. Whatever the operation, the answer:

- is never a 5xx (a 503 SERVICE_UNAVAILABLE alone would be tolerated: the database is local),
- is JSON with `data` and/or `errors`,
- codes every error with one of the documented codes (api.errors.ErrorCode), never
  INTERNAL_SERVER_ERROR (an unexpected failure: a bug), and shows no Python exception text,
- never holds a node of another space: for every caller but the professionals (whose reach
  is the care team's, checked in tests/access), each Patient id and each id of a node a
  patient owns (documents, agenda items, threads, messages, journal entries...) belongs to a
  space the caller may open (`viewer { patients { id } }`).

Arguments are drawn from real values as well as random ones: ids of the demo data of every
space (and ids of no object, of another type, or no id at all), INS, client ids, LOINC codes,
units, any date and date-time.

Everything runs on a database of this module alone (the `app` fixture is overridden, so
`client` posts there), loaded as `espace demo` loads it: the suite's shared database holds
the personas without their documents, agenda, threads or reimbursements, and nothing to
leak is nothing to find. Queries run first, on the demo as loaded; then mutations, which
change what they touch (block a professional, end a delegation, delete a document, suspend
an app...) where no other test looks: every mutation of the schema is generated, none is
left out.

ESPACE_FUZZ_EXAMPLES sets the queries per persona (default 200, for CI; mutations: half as
many); the nightly-style run is `ESPACE_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`. Examples are
derandomized and no example database is kept: a run is reproducible.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy import select
from strawberry import relay

from api.app import access_tokens, create_app
from api.catalogue.manifest import load_catalogue
from api.catalogue.models import CatalogueApp
from api.contents.service import contents_for
from api.db import Base, Database
from api.demo.catalogue import reference_demo_apps
from api.demo.dossier import deposit_demo_documents
from api.demo.personas import load_personas
from api.demo.profile import enter_demo_profiles
from api.demo.reimbursements import import_demo_statements
from api.directory.models import Organization, Patient, Professional
from api.errors import ErrorCode
from api.graphql.ids import encode_id
from api.hooks import run_hooks
from api.identity.dev_tokens import find_account, mint_development_token
from api.migrations import upgrade
from api.settings import Settings
from tests.conftest import (
    SUITE_RATE_LIMITS,
    TEST_DATABASE_ENV,
    _create_postgres_database,
    _drop_postgres_database,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = graphql.build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
EXAMPLES = int(os.environ.get("ESPACE_FUZZ_EXAMPLES", "200"))
MUTATION_EXAMPLES = max(1, EXAMPLES // 2)

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    # No shrinking: each step is a request, and minutes of them would reduce a failure the
    # report already shows whole (the operation and the answer, noted below).
    phases=[Phase.explicit, Phase.generate],
    # Each example is an HTTP request through the app; the fixtures (an HTTP client, the
    # databases) hold no state an example could leave to the next one but the data itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

DOCUMENTED_CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL_SERVER_ERROR.value}
# What a Python failure looks like once it reaches a message.
EXCEPTION_TEXT = re.compile(
    r"Traceback \(most recent call last\)|File \"/|\b(?:[A-Z][a-zA-Z]*Error|Exception)\(|"
    r"object has no attribute|NoneType|object at 0x|sqlalchemy|asyncpg|sqlite3|"
    r"\b(?:KeyError|TypeError|AttributeError|IntegrityError|OverflowError|UnicodeEncodeError)\b"
)
# Nodes no patient owns: directory entries and the catalogue.
GLOBAL_ID = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")
PUBLIC_TYPES = frozenset({"Professional", "Organization", "CatalogueApp"})
# The types of the ids a patient's space holds, by table.
OWNED_NODE_TYPES = {
    "journal_entries": "AccessLogEntry",
    "agenda_items": "AgendaItem",
    "documents": "Document",
    "measurements": "Measurement",
    "profile_entries": "ProfileEntry",
    "reimbursements": "Reimbursement",
    "threads": "Thread",
    "messages": "Message",
    "message_files": "MessageFile",
}


@dataclass(frozen=True)
class Persona:
    name: str
    handle: str | None = None
    scopes: tuple[str, ...] | None = None
    professional: bool = False


PERSONAS = [
    Persona("nadia", "nadia"),
    Persona("parent", "parent"),
    Persona("caregiver", "caregiver"),
    Persona("gp", "gp", professional=True),
    Persona("pharmacist", "pharmacist", professional=True),
    Persona("operator", "operator"),
    Persona("anonymous"),
    # Like a catalogue app that was granted two scopes of nadia's space.
    Persona("app", "nadia", scopes=("agenda:read", "profile:read")),
]


@dataclass
class World:
    """A database as seen by the fuzzer: its ids to draw from, who owns what."""

    settings: Settings
    database: Database
    app: Any
    ids: list[str]
    ins: list[str]
    client_ids: list[str]
    owners: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=dict)
    spaces: dict[str, set[uuid.UUID]] = field(default_factory=dict)
    strategies: dict[str, st.SearchStrategy[str]] = field(default_factory=dict)

    async def token(self, persona: Persona) -> str | None:
        if persona.name not in self.tokens:
            token = None
            if persona.handle is not None:
                account = await find_account(self.database, persona.handle)
                assert account is not None, f"no persona {persona.handle}"
                token = mint_development_token(
                    self.settings, access_tokens(self.settings), account, scopes=persona.scopes
                )
            self.tokens[persona.name] = token
        return self.tokens[persona.name]

    async def owner_of(self, pk: uuid.UUID) -> uuid.UUID | None:
        """The patient whose space holds the row with this id, None if no patient owns it."""
        if pk not in self.owners:
            owner = None
            async with self.database.read() as connection:
                for table in _owned_tables():
                    owner = await connection.scalar(select(table.c.patient_id).where(table.c.id == pk))
                    if owner is not None:
                        break
            self.owners[pk] = owner
        return self.owners[pk]

    def strategy(self, kind: str) -> st.SearchStrategy[str]:
        if kind not in self.strategies:
            build = queries if kind == "query" else mutations
            self.strategies[kind] = build(SCHEMA, custom_scalars=self._scalars())
        return self.strategies[kind]

    def _scalars(self) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
        unknown = uuid.UUID("00000000-0000-4000-8000-000000000000")
        wrong_ids = [
            encode_id("Patient", unknown),
            encode_id("Document", unknown),
            encode_id("Nothing", unknown),
            str(relay.GlobalID("Patient", "42")),
            "not-an-id",
            "",
            "UGF0aWVudDo=",
        ]
        realistic = [
            *self.ins,
            *self.client_ids,
            "11488-4",  # consultation note (LOINC)
            "11502-2",  # laboratory report
            "4548-4",  # HbA1c
            "mmol/L",
            "%",
            "kg",
            "mm[Hg]",
            "fr",
            "Found unconscious, no relative reachable",
            " ",
            "x" * 5000,
        ]
        tz = st.sampled_from([None, UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-11))])
        return {
            "ID": st.one_of(st.sampled_from(self.ids), st.sampled_from(wrong_ids), st.text(max_size=30)).map(
                nodes.String
            ),
            "String": st.one_of(st.sampled_from(realistic), st.text()).map(nodes.String),
            "Date": st.dates().map(lambda day: nodes.String(day.isoformat())),
            "DateTime": st.datetimes(timezones=tz).map(lambda at: nodes.String(at.isoformat())),
            # Files travel in multipart requests; a literal in their place must be refused cleanly.
            "Upload": st.text(max_size=20).map(nodes.String),
        }


def _owned_tables() -> list[Any]:
    return [
        table
        for table in Base.metadata.sorted_tables
        if "id" in table.c and "patient_id" in table.c and table.name != "patients"
    ]


async def _world(settings: Settings, database: Database, app: Any) -> World:
    """The ids of every kind of node of the database: a few of each, in a stable order."""
    ids: list[str] = []
    async with database.read() as connection:
        for type_name, column in (
            ("Patient", Patient.id),
            ("Professional", Professional.id),
            ("Organization", Organization.id),
            ("CatalogueApp", CatalogueApp.id),
        ):
            found = await connection.scalars(select(column).order_by(column).limit(40))
            ids += [encode_id(type_name, pk) for pk in found]
        tables = {table.name: table for table in _owned_tables()}
        for table_name, type_name in OWNED_NODE_TYPES.items():
            table = tables[table_name]
            found = await connection.scalars(select(table.c.id).order_by(table.c.id).limit(15))
            ids += [encode_id(type_name, pk) for pk in found]
        ins = list(await connection.scalars(select(Patient.ins).order_by(Patient.ins).limit(20)))
        client_ids = list(await connection.scalars(select(CatalogueApp.client_id).limit(20)))
    return World(settings, database, app, ids, ins, client_ids)


@pytest.fixture(scope="module")
async def world(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A database of this module alone, loaded as `espace demo` loads it (but the synthetic
    activity): personas, catalogue, documents, profiles, reimbursements."""
    server = os.environ.get(TEST_DATABASE_ENV)
    folder = tmp_path_factory.mktemp("fuzz")
    url = await _create_postgres_database(server) if server else f"sqlite+aiosqlite:///{folder / 'fuzz.db'}"
    # A new Settings, not a copy: a copy would keep the suite's cached database URL and folder.
    own = Settings(
        _env_file=None,
        var_dir=folder,
        database_url=url,
        env="development",
        plugin_hooks_interval=0,
        **SUITE_RATE_LIMITS,
    )
    database = Database(own)
    try:
        await upgrade(database)
        await load_personas(database)
        manifests, problems = load_catalogue(ROOT / "catalogue")
        assert problems == []
        await reference_demo_apps(database, manifests)
        await deposit_demo_documents(database, contents_for(own, database))
        await enter_demo_profiles(database)
        assert not (await import_demo_statements(database, folder)).refused
        await run_hooks(database, contents_for(own, database))
        yield await _world(own, database, create_app(own, database))
    finally:
        await database.dispose()
        if server:
            await _drop_postgres_database(server, url)


@pytest.fixture(scope="module")
def app(world: World) -> Any:
    """The `client` fixture posts to the app of this module's database."""
    return world.app


async def _post(client: httpx.AsyncClient, token: str | None, query: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


async def _allowed(client: httpx.AsyncClient, token: str | None) -> set[uuid.UUID]:
    """The spaces the caller may open, as the API says."""
    response = await _post(client, token, "{ viewer { patients { id } } }")
    viewer = (response.json().get("data") or {}).get("viewer") or {}
    return {_decode(patient["id"])[1] for patient in viewer.get("patients") or []}


def _decode(value: str) -> tuple[str, uuid.UUID]:
    """A global id's type and UUID; ValueError for any other string (strictly: base64 of
    `Type:uuid`, not a sentence that happens to quote one)."""
    if not GLOBAL_ID.fullmatch(value):
        raise ValueError(value)
    type_name, _, pk = base64.b64decode(value, validate=True).decode().partition(":")
    return type_name, uuid.UUID(pk)


def _global_ids(value: Any) -> Iterator[tuple[str, uuid.UUID]]:
    """Every string of the answer that is a global id, decoded."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _global_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _global_ids(item)
    elif isinstance(value, str):
        try:
            yield _decode(value)
        except ValueError:  # binascii.Error and UnicodeDecodeError included
            return


def _check_answer(response: httpx.Response) -> dict[str, Any]:
    note(f"HTTP {response.status_code}: {response.text[:3000]}")
    assert response.status_code < 500 or response.status_code == 503, "a server error"
    body = response.json()
    assert isinstance(body, dict)
    assert "data" in body or "errors" in body
    if response.status_code == 503:
        assert [e["extensions"]["code"] for e in body["errors"]] == [ErrorCode.SERVICE_UNAVAILABLE.value]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != ErrorCode.INTERNAL_SERVER_ERROR.value, "an unexpected failure"
        assert code in DOCUMENTED_CODES, f"undocumented code {code!r}"
        assert not EXCEPTION_TEXT.search(error["message"]), "a Python exception in a message"
    return body


async def _check_spaces(
    world: World, persona: Persona, body: dict[str, Any], allowed: set[uuid.UUID]
) -> None:
    if persona.professional:
        return
    for type_name, pk in _global_ids(body.get("data")):
        if type_name in PUBLIC_TYPES:
            continue
        owner = pk if type_name == "Patient" else await world.owner_of(pk)
        assert owner is None or owner in allowed, f"{persona.name} got a {type_name} of another space"


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda persona: persona.name)
@FUZZ
@given(data=st.data())
async def test_generated_queries(
    persona: Persona, client: httpx.AsyncClient, world: World, data: st.DataObject
) -> None:
    token = await world.token(persona)
    if persona.name not in world.spaces:
        world.spaces[persona.name] = await _allowed(client, token)
    allowed = world.spaces[persona.name]
    query = data.draw(world.strategy("query"), label="query")
    body = _check_answer(await _post(client, token, query))
    await _check_spaces(world, persona, body, allowed)


async def test_the_space_check_sees_a_node_of_another_space(world: World) -> None:
    """The property itself: a document of nadia's space in parent's answer is caught, wherever it sits."""
    documents = next(table for table in _owned_tables() if table.name == "documents")
    async with world.database.read() as connection:
        document, owner = (await connection.execute(select(documents.c.id, documents.c.patient_id))).first()
    body = {"data": {"node": {"document": {"replaces": [{"id": encode_id("Document", document)}]}}}}
    parent = next(persona for persona in PERSONAS if persona.name == "parent")
    with pytest.raises(AssertionError, match="parent got a Document of another space"):
        await _check_spaces(world, parent, body, {uuid.uuid4()})
    await _check_spaces(world, parent, body, {owner})
    # A sentence quoting an id is not the id.
    await _check_spaces(
        world, parent, {"data": {"m": f"'{encode_id('Patient', owner)}' is not valid."}}, set()
    )


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda persona: persona.name)
@settings(FUZZ, max_examples=MUTATION_EXAMPLES)
@given(data=st.data())
async def test_generated_mutations(
    persona: Persona, client: httpx.AsyncClient, world: World, data: st.DataObject
) -> None:
    token = await world.token(persona)
    before = await _allowed(client, token)
    mutation = data.draw(world.strategy("mutation"), label="mutation")
    body = _check_answer(await _post(client, token, mutation))
    # A mutation may open a space (a delegation) or close one (its end): either side counts.
    await _check_spaces(world, persona, body, before | await _allowed(client, token))
