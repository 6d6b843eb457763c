"""Cross-patient isolation (issue #10): every node that belongs to a space,
asked for by every demo persona through every way in that takes its id.

The ids are real: read by their owner (or the owner's legal representative for
the toddler) once per module. Who may see what comes from one table, `OPENS`,
written from DOMAIN.md ("Who may read a space") and the demo relationships of
PERSONAS.md, and from the per-type rules of `expected`. A persona the table does
not let see a node must get NOT_FOUND or FORBIDDEN with the field null, never
the node; a persona it lets see the node must get it, so that the matrix cannot
pass by refusing everything.

The journal (DOMAIN.md, "The access journal"): every action on a space by
anyone but the patient is journaled. DOMAIN.md does not ask for refused
attempts to be journaled (they are not actions on the space), so the matrix
checks that every allowed read by someone other than the patient leaves an
entry naming the object, and that a refused attempt leaves no entry claiming
the object was read.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from api.access.models import Block, CareRole, EmergencyAccess
from api.access.service import Access
from api.db import Database, utcnow
from api.directory.models import Patient as PatientRow
from api.dossier import service as dossier
from api.graphql.ids import decode_id, encode_id
from api.identity.dev_tokens import find_account
from api.identity.scopes import all_scopes
from api.identity.service import DEVELOPMENT_CLIENT_ID, principal_for
from api.journal.models import JournalEntry
from api.messaging import files as message_files
from api.messaging.service import Limits, start_thread
from api.plugins import active
from api.reimbursements.models import Reimbursement as ReimbursementRow
from tests import factories
from tests.conftest import GraphQLClient, error_codes
from tests.journal.helpers import entries

PATIENTS = ("nadia", "parent", "teen", "toddler", "senior", "caregiver")
PROFESSIONALS = ("gp", "lab", "dietitian", "pharmacist", "cardiologist", "nurse", "samu")
PERSONAS = (*PATIENTS, *PROFESSIONALS, "operator")

SELF, LEGAL, CAREGIVER, MT, TEAM = (
    "SELF",
    "LEGAL_REPRESENTATIVE",
    "CAREGIVER",
    "MEDECIN_TRAITANT",
    "CARE_TEAM",
)

# Persona -> the spaces it may open, and as what (DOMAIN.md, "Who may read a space";
# PERSONAS.md and api/demo/personas.toml for who is who). Everything not listed is closed:
# - a patient opens their own space; a legal representative (parent) the children's;
# - the caregiver opens senior's space for the delegated parts only (DOCUMENTS, AGENDA);
# - a professional only the spaces whose care team they are in (gp is médecin traitant
#   of nadia and senior), and no emergency access is active (checked by the fixture);
# - lab (a biologist, and the laboratory's deposit feed) "may deposit, but may not read";
#   samu (centre 15) may open a space only through an emergency access, none is open;
# - operators never read patient data.
OPENS: dict[str, dict[str, str]] = {
    "nadia": {"nadia": SELF},
    "parent": {"parent": SELF, "teen": LEGAL, "toddler": LEGAL},
    "teen": {"teen": SELF},
    "toddler": {"toddler": SELF},
    "senior": {"senior": SELF},
    "caregiver": {"caregiver": SELF, "senior": CAREGIVER},
    "gp": {"nadia": MT, "senior": MT},
    "dietitian": {"nadia": TEAM},
    "pharmacist": {"nadia": TEAM},
    "cardiologist": {"senior": TEAM},
    "nurse": {"senior": TEAM},
    "lab": {},
    "samu": {},
    "operator": {},
}
# The parts senior delegated to the caregiver (api/demo/personas.toml).
CAREGIVER_PARTS = frozenset({"IDENTITY", "DOCUMENTS", "AGENDA"})
# The profession matrix (api/access/matrix.toml, data per DOMAIN.md) for the professions here.
MATRIX = {
    "physician": {"*"},
    "dietitian": {"REPORT", "LAB_RESULT"},
    "pharmacist": {"PRESCRIPTION", "LAB_RESULT", "VACCINATION"},
    "nurse": {"PRESCRIPTION", "REPORT", "LAB_RESULT", "VACCINATION"},
}
PROFESSION = {"gp": "physician", "cardiologist": "physician", "dietitian": "dietitian"}
PROFESSION |= {"pharmacist": "pharmacist", "nurse": "nurse"}

REFUSED = {"NOT_FOUND", "FORBIDDEN"}


@dataclass
class Node:
    type_name: str
    global_id: str
    space: str  # the handle of the patient whose space holds it
    part: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def pk(self) -> uuid.UUID:
        return decode_id(self.global_id)[1]

    def __str__(self) -> str:
        return f"{self.type_name}[{self.space}:{self.facts.get('label', self.global_id[-6:])}]"


def expected(persona: str, node: Node) -> bool | None:
    """True: must get it; False: must be refused; None: a rule inside an open space this
    matrix does not decide (it is tested where that rule lives)."""
    relation = OPENS[persona].get(node.space)
    if relation is None:
        return False  # the space is closed to this persona: the point of this matrix
    facts = node.facts
    if node.type_name == "Message":
        return False  # `node(id)` resolves no Message: messages are reached through their thread
    if node.type_name == "AccessLogEntry" and facts.get("actor") == persona:
        return None  # each actor reads the entries of their own actions (viewer), not through node()
    if relation == SELF:
        return not facts.get("hidden_from_patient", False)
    if relation in (LEGAL, CAREGIVER):
        if relation == CAREGIVER and node.part not in CAREGIVER_PARTS:
            return False
        return not facts.get("hidden_from_representatives", False)
    # A professional of the care team.
    if node.part == "IDENTITY":
        return True
    if node.part == "JOURNAL":
        return relation == MT  # besides the patient, the médecin traitant reads the journal
    if node.part == "MESSAGES":
        return persona in facts["participants"]  # a professional sees the threads they take part in
    if node.part == "DOCUMENTS":
        if facts.get("author") == persona:
            return True
        if facts.get("masked_from_professionals") and relation != MT:
            return False
        allowed = MATRIX[PROFESSION[persona]]
        return "*" in allowed or facts["category"] in allowed
    return None  # agenda, reimbursements: the care team's rights there are not this matrix's subject


@dataclass
class Outcome:
    got: bool
    codes: list[str]
    body: Any


@dataclass
class World:
    gql: GraphQLClient
    http: httpx.AsyncClient
    database: Database
    app: Any
    tokens: dict[str, str]
    accounts: dict[str, Any]
    space_ids: dict[str, str]  # patient handle -> Patient global id
    ins: dict[str, str]
    nodes: list[Node] = field(default_factory=list)
    handle_of: dict[str, str] = field(default_factory=dict)  # Professional global id -> handle

    async def ask(self, persona: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return await self.gql(query, variables, token=self.tokens[persona])

    async def link(self, persona: str, kind: str, pk: uuid.UUID) -> Outcome:
        """A content link signed for this persona, as if it held one: the policy is asked
        again when it is fetched (api/dossier/download.py)."""
        account = self.accounts[persona]
        principal = principal_for(
            account, {"client_id": DEVELOPMENT_CLIENT_ID, "jti": "isolation", "scope": " ".join(all_scopes())}
        )
        links = self.app.state.content_links
        url = links.url(principal, pk) if kind == "Document" else links.message_file_url(principal, pk)
        parts = urlsplit(url)
        response = await self.http.get(f"{parts.path}?{parts.query}")
        if response.status_code == 200:
            return Outcome(True, [], response.content)
        body = response.json()
        return Outcome(False, error_codes(body), body)


def _outcome(body: dict[str, Any], path: list[str], node: Node) -> Outcome:
    data: Any = body.get("data")
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    got = isinstance(data, dict) and data.get("id") == node.global_id
    if not got:
        # Whatever the answer, the node is nowhere in it (its id, or its content through a sibling field).
        assert node.global_id not in json.dumps(body.get("data")), (node, body)
    return Outcome(got, error_codes(body), body)


# The ways in: GraphQL fields (and content routes) that take the id of a node of a space.
Way = Callable[[World, str, Node], Awaitable[Outcome]]


async def via_node(world: World, persona: str, node: Node) -> Outcome:
    body = await world.ask(persona, "query($id: ID!) { node(id: $id) { id } }", {"id": node.global_id})
    return _outcome(body, ["node"], node)


async def via_patient(world: World, persona: str, node: Node) -> Outcome:
    query = "query($id: ID!) { patient(id: $id) { id displayName birthDate } }"
    return _outcome(await world.ask(persona, query, {"id": node.global_id}), ["patient"], node)


async def via_patient_by_ins(world: World, persona: str, node: Node) -> Outcome:
    query = "query($ins: String!) { patientByIns(ins: $ins) { id displayName birthDate } }"
    body = await world.ask(persona, query, {"ins": world.ins[node.space]})
    return _outcome(body, ["patientByIns"], node)


async def via_space_document(world: World, persona: str, node: Node) -> Outcome:
    query = "query($p: ID!, $id: ID!) { patient(id: $p) { document(id: $id) { id title } } }"
    body = await world.ask(persona, query, {"p": world.space_ids[node.space], "id": node.global_id})
    return _outcome(body, ["patient", "document"], node)


async def via_mark_thread_read(world: World, persona: str, node: Node) -> Outcome:
    query = "mutation($id: ID!) { markThreadRead(threadId: $id) { thread { id subject } } }"
    return _outcome(
        await world.ask(persona, query, {"id": node.global_id}), ["markThreadRead", "thread"], node
    )


async def via_document_link(world: World, persona: str, node: Node) -> Outcome:
    return await world.link(persona, "Document", node.pk)


async def via_message_file_link(world: World, persona: str, node: Node) -> Outcome:
    return await world.link(persona, "MessageFile", node.pk)


WAYS: dict[str, tuple[tuple[str, Way], ...]] = {
    "Patient": (("node", via_node), ("patient", via_patient), ("patientByIns", via_patient_by_ins)),
    "Document": (
        ("node", via_node),
        ("patient.document", via_space_document),
        ("content link", via_document_link),
    ),
    "Thread": (("node", via_node), ("markThreadRead", via_mark_thread_read)),
    "Message": (("node", via_node),),
    "MessageFile": (("content link", via_message_file_link),),
    "AgendaItem": (("node", via_node),),
    "Reimbursement": (("node", via_node),),
    "AccessLogEntry": (("node", via_node),),
}
# patientByIns is for professionals ("A patient found by INS, for professionals").
PROFESSIONALS_ONLY = {"patientByIns"}

# ProfileEntry and Measurement have ids but are no Node and no field takes their id: they are
# reached only through `Patient.profile`, so the Patient rows of the matrix cover them.
SPACE_NODE_TYPES = set(WAYS) - {"MessageFile"}


# ---------------------------------------------------------------- the data, built once


async def _deposit(
    database: Database, contents: Any, space: str, by: str, title: str, type_code: str, **flags: bool
) -> None:
    patient, author = await find_account(database, space), await find_account(database, by)
    person = factories.TestPatient(space, patient.id, patient.patient_id, space)
    if author.professional_id is not None:
        depositor: Any = factories.TestProfessional(by, author.id, author.professional_id, by)
    else:
        depositor = factories.TestPatient(by, author.id, author.patient_id or patient.patient_id, by)
    await factories.deposit(
        database,
        contents,
        person,
        by=depositor,
        type_code=type_code,
        title=title,
        content=f"{title} ({space}).".encode(),
        **flags,
    )


async def _thread(database: Database, contents: Any, space: str, by: str, subject: str) -> None:
    account = await find_account(database, by)
    principal = principal_for(account, {"client_id": "isolation", "jti": "t", "scope": "messages:send"})
    patient = await find_account(database, space)
    upload = dossier.Upload(f"Fichier de {by} pour {space}.".encode(), "note.txt", "text/plain")
    await start_thread(
        Access(principal, database),
        contents,
        patient.patient_id,
        subject=subject,
        body=f"Bonjour, {subject.lower()}.",
        attachment_ids=[],
        limits=Limits(),
        new_files=[message_files.NewFile(upload)],
    )


async def _read_nodes(world: World, database: Database) -> list[Node]:
    """Every node of every persona's space, read through the API by the space's own side."""
    nodes: list[Node] = []
    owner_of = {space: ("parent" if space == "toddler" else space) for space in PATIENTS}
    for space, reader in owner_of.items():
        space_id = world.space_ids[space]
        body = await world.ask(
            reader,
            """query($id: ID!) { patient(id: $id) {
              documents(first: 50) { edges { node { id title category author { id }
                visibility { maskedFromProfessionals hiddenFromRepresentatives hiddenFromPatient } } } }
              reimbursements(first: 50) { edges { node { id } } }
              agenda(first: 3) { edges { node { id } } }
              threads(first: 10) { edges { node { id subject participants { id }
                messages(first: 1) { edges { node { id files { id } } } } } } }
              accessLog(first: 50) { edges { node { id actorName } } } } }""",
            {"id": space_id},
        )
        assert "errors" not in body, body
        patient = body["data"]["patient"]
        nodes.append(Node("Patient", space_id, space, "IDENTITY"))
        for edge in patient["documents"]["edges"]:
            document = edge["node"]
            author = document["author"]["id"] if document["author"] else None
            nodes.append(
                Node(
                    "Document",
                    document["id"],
                    space,
                    "DOCUMENTS",
                    {
                        "label": document["title"][:20],
                        "category": document["category"],
                        "author": world.handle_of.get(author) if author else None,
                        "masked_from_professionals": document["visibility"]["maskedFromProfessionals"],
                        "hidden_from_representatives": document["visibility"]["hiddenFromRepresentatives"],
                        "hidden_from_patient": document["visibility"]["hiddenFromPatient"],
                    },
                )
            )
        withheld = await _withheld_reimbursements(database)
        for edge in patient["reimbursements"]["edges"][:3] + [
            e for e in patient["reimbursements"]["edges"] if decode_id(e["node"]["id"])[1] in withheld
        ]:
            pk = decode_id(edge["node"]["id"])[1]
            facts = {"hidden_from_representatives": pk in withheld}
            nodes.append(Node("Reimbursement", edge["node"]["id"], space, "REIMBURSEMENTS", facts))
        for edge in patient["agenda"]["edges"][:1]:
            nodes.append(Node("AgendaItem", edge["node"]["id"], space, "AGENDA"))
        for edge in patient["threads"]["edges"]:
            thread = edge["node"]
            participants = {world.handle_of[p["id"]] for p in thread["participants"]}
            facts = {"label": thread["subject"][:20], "participants": participants}
            nodes.append(Node("Thread", thread["id"], space, "MESSAGES", facts))
            for message in thread["messages"]["edges"]:
                nodes.append(Node("Message", message["node"]["id"], space, "MESSAGES", facts))
                for file in message["node"]["files"]:
                    nodes.append(Node("MessageFile", file["id"], space, "MESSAGES", facts))
        seen_actors: set[str | None] = set()
        for edge in patient["accessLog"]["edges"]:
            actor = await _actor_of(database, decode_id(edge["node"]["id"])[1], world)
            if actor in seen_actors:
                continue  # one entry per actor is enough
            seen_actors.add(actor)
            facts = {"actor": actor, "label": f"by {actor}"}
            nodes.append(Node("AccessLogEntry", edge["node"]["id"], space, "JOURNAL", facts))
    return nodes


async def _withheld_reimbursements(database: Database) -> set[uuid.UUID]:
    async with database.read() as connection:
        rows = await connection.scalars(
            select(ReimbursementRow.id).where(ReimbursementRow.hidden_from_representatives.is_(True))
        )
        return set(rows)


async def _actor_of(database: Database, entry_id: uuid.UUID, world: World) -> str | None:
    async with database.read() as connection:
        account_id = await connection.scalar(
            select(JournalEntry.actor_account_id).where(JournalEntry.id == entry_id)
        )
    return next((h for h, a in world.accounts.items() if a.id == account_id), None)


@pytest.fixture(scope="module")
async def world(
    app: Any, database: Database, settings: Any, token_for: Any, contents: Any
) -> AsyncIterator[World]:
    from api.demo.dossier import deposit_demo_documents
    from api.demo.profile import enter_demo_profiles
    from api.demo.reimbursements import import_demo_statements

    # The demo's own data (idempotent, as the demo command loads it)...
    await deposit_demo_documents(database, contents)
    await enter_demo_profiles(database)
    assert not (await import_demo_statements(database, settings.var_dir)).problems
    # ...and enough of every kind of node in every space: a document in each, one that nadia
    # masked from professionals, one the teen does not hide, threads by two professionals.
    await _deposit(
        database,
        contents,
        "nadia",
        "nadia",
        "Isolation - résultat masqué",
        "11502-2",
        masked_from_professionals=True,
    )
    await _deposit(database, contents, "parent", "parent", "Isolation - bilan du parent", "11502-2")
    await _deposit(database, contents, "teen", "teen", "Isolation - vaccins de l'ado", "11369-6")
    await _deposit(database, contents, "toddler", "parent", "Isolation - carnet du petit", "11369-6")
    await _deposit(database, contents, "senior", "cardiologist", "Isolation - échographie", "11488-4")
    await _deposit(database, contents, "senior", "nurse", "Isolation - plan de soins", "18776-5")
    await _deposit(database, contents, "caregiver", "caregiver", "Isolation - ordonnance", "57833-6")
    await _thread(database, contents, "nadia", "gp", "Isolation - suivi HbA1c")
    await _thread(database, contents, "senior", "gp", "Isolation - bilan annuel")
    await _thread(database, contents, "senior", "cardiologist", "Isolation - holter")

    accounts = {handle: await find_account(database, handle) for handle in PERSONAS}
    assert all(accounts.values()), accounts
    tokens = {handle: await token_for(handle) for handle in PERSONAS}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        gql = GraphQLClient(http, token_for)
        space_ids = {h: encode_id("Patient", accounts[h].patient_id) for h in PATIENTS}
        async with database.read() as connection:
            ins = {
                h: await connection.scalar(
                    select(PatientRow.ins).where(PatientRow.id == accounts[h].patient_id)
                )
                for h in PATIENTS
            }
        # The matrix assumes no block and no active emergency access in the demo spaces.
        async with database.read() as connection:
            spaces = [accounts[h].patient_id for h in PATIENTS]
            assert not await connection.scalar(
                select(func.count()).select_from(Block).where(Block.patient_id.in_(spaces))
            )
            assert not await connection.scalar(
                select(func.count())
                .select_from(EmergencyAccess)
                .where(EmergencyAccess.patient_id.in_(spaces), EmergencyAccess.expires_at > utcnow())
            )
        world = World(gql, http, database, app, tokens, accounts, space_ids, ins)
        world.handle_of = {
            encode_id("Professional", a.professional_id): h
            for h, a in accounts.items()
            if a.professional_id is not None
        }
        # Reads by others, so that each space's journal holds entries of several actors.
        for reader, space in (
            ("gp", "nadia"),
            ("pharmacist", "nadia"),
            ("gp", "senior"),
            ("cardiologist", "senior"),
            ("caregiver", "senior"),
            ("parent", "teen"),
            ("parent", "toddler"),
        ):
            assert "errors" not in await world.ask(
                reader, "query($id: ID!) { patient(id: $id) { id } }", {"id": space_ids[space]}
            )
        world.nodes = await _read_nodes(world, database)
        yield world


# ---------------------------------------------------------------- the matrix


async def _journal_count(database: Database, account_id: uuid.UUID, object_id: uuid.UUID) -> int:
    async with database.read() as connection:
        return await connection.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(
                JournalEntry.actor_account_id == account_id,
                JournalEntry.object_id == str(object_id),
                JournalEntry.action.in_(("READ", "DOWNLOAD", "UPDATE")),
            )
        )


def test_the_matrix_holds_every_node_type_of_a_space(world: World) -> None:
    """Not vacuous: every kind of node is there, from every space that can hold it."""
    kinds = {(node.type_name, node.space) for node in world.nodes}
    for space in PATIENTS:
        for type_name in ("Patient", "Document"):
            assert (type_name, space) in kinds, (type_name, space)
    # Every space has agenda items with the vaccination calendar (a plugin); without it, the
    # core's screenings and follow-ups still give nadia hers.
    vaccination = "vaccination" in {plugin.name for plugin in active().enabled}
    for space in PATIENTS if vaccination else ("nadia",):
        assert ("AgendaItem", space) in kinds, ("AgendaItem", space)
    for space in ("nadia", "senior", "teen", "toddler", "parent"):
        assert ("Reimbursement", space) in kinds, space
    for space in ("nadia", "senior"):
        for type_name in ("Thread", "Message", "MessageFile"):
            assert (type_name, space) in kinds, (type_name, space)
    for space in ("nadia", "senior", "teen", "toddler"):
        assert ("AccessLogEntry", space) in kinds, space
    assert {node.type_name for node in world.nodes} == set(WAYS)
    # Every Node type of the schema is either a space's or none (directory, catalogue).
    from api.graphql.schema import build_schema

    schema = build_schema()._schema
    node_types = {
        name
        for name, t in schema.type_map.items()
        if any(i.name == "Node" for i in getattr(t, "interfaces", ()) or ())
    }
    assert node_types == SPACE_NODE_TYPES | {"Professional", "Organization", "CatalogueApp"}


@pytest.mark.parametrize("persona", PERSONAS)
async def test_no_persona_gets_a_node_of_a_space_it_may_not_see(world: World, persona: str) -> None:
    account = world.accounts[persona]
    checked = {"refused": 0, "granted": 0}
    for node in world.nodes:
        want = expected(persona, node)
        before = await _journal_count(world.database, account.id, node.pk)
        outcomes = []
        for way_name, way in WAYS[node.type_name]:
            if way_name in PROFESSIONALS_ONLY and persona not in PROFESSIONALS:
                continue
            outcome = await way(world, persona, node)
            outcomes.append((way_name, outcome))
            where = f"{persona} -> {node} via {way_name}"
            if want is False:
                assert not outcome.got, f"LEAK: {where}: {outcome.body}"
                assert outcome.codes, f"{where}: {outcome.body}"
                assert set(outcome.codes) <= REFUSED, f"{where}: {outcome.body}"
                checked["refused"] += 1
            elif want is True:
                assert outcome.got, f"{where} should be granted: {outcome.body}"
                checked["granted"] += 1
        after = await _journal_count(world.database, account.id, node.pk)
        own_space = OPENS[persona].get(node.space) == SELF
        if want is False:
            assert after == before, f"{persona} -> {node}: a refused attempt was journaled as a read"
        elif want is True and not own_space:
            assert after > before, f"{persona} -> {node}: a read by another than the patient not journaled"
    assert checked["refused"] > 0
    if OPENS[persona]:
        assert checked["granted"] > 0, persona


@pytest.mark.parametrize("persona", [p for p in PERSONAS if OPENS[p]])
async def test_a_document_is_never_found_through_another_space(world: World, persona: str) -> None:
    """`patient(id: A) { document(id: d) }` with d of space B: NOT_FOUND, even for someone who
    may see both spaces, and nothing journaled in either space."""
    account = world.accounts[persona]
    query = "query($p: ID!, $id: ID!) { patient(id: $p) { id document(id: $id) { id title } } }"
    tried = 0
    for space in OPENS[persona]:
        for node in world.nodes:
            if node.type_name != "Document" or node.space == space:
                continue
            before = await _journal_count(world.database, account.id, node.pk)
            body = await world.ask(persona, query, {"p": world.space_ids[space], "id": node.global_id})
            outcome = _outcome(body, ["patient", "document"], node)
            where = f"{persona} -> {node} through {space}'s space"
            assert not outcome.got, f"LEAK: {where}: {body}"
            assert body["data"]["patient"] == {"id": world.space_ids[space], "document": None}, where
            assert outcome.codes, f"{where}: {body}"
            assert set(outcome.codes) <= REFUSED, f"{where}: {body}"
            assert await _journal_count(world.database, account.id, node.pk) == before, where
            tried += 1
    assert tried > 0


async def test_a_blocked_member_of_the_care_team_gets_nothing_of_the_space(
    gql: GraphQLClient, database: Database, token_of: Any, contents: Any
) -> None:
    """A block beats the care team and the emergency access (DOMAIN.md), on every way in."""
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor)
    document = await factories.deposit(database, contents, patient)
    token = await token_of(doctor)
    document_id = encode_id("Document", document.id)
    queries = [
        ("query($id: ID!) { node(id: $id) { id } }", {"id": document_id}, ["node"]),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": patient.global_id}, ["node"]),
        ("query($id: ID!) { patient(id: $id) { id } }", {"id": patient.global_id}, ["patient"]),
        ("query($ins: String!) { patientByIns(ins: $ins) { id } }", {"ins": patient.ins}, ["patientByIns"]),
        (
            "query($p: ID!, $id: ID!) { patient(id: $p) { document(id: $id) { id } } }",
            {"p": patient.global_id, "id": document_id},
            ["patient"],
        ),
    ]
    for query, variables, path in queries:
        assert (await gql(query, variables, token=token))["data"][path[0]] is not None
    await factories.open_emergency(database, patient, doctor, expires_in=timedelta(hours=1))
    await factories.block(database, patient, doctor)
    for query, variables, path in queries:
        body = await gql(query, variables, token=token)
        assert body["data"][path[0]] is None, body
        assert error_codes(body), body
        assert set(error_codes(body)) <= REFUSED, body


async def test_a_document_of_another_space_is_not_found_nor_journaled_there(
    gql: GraphQLClient, database: Database, token_of: Any, contents: Any
) -> None:
    """The médecin traitant of two patients asks one space for the other's document: it used
    to answer null without an error, and journal a read of the other space's document that
    no one was given (api/dossier/types.py, Patient.document)."""
    first, second = await factories.make_patient(database), await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    for patient in (first, second):
        await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    document = await factories.deposit(database, contents, second)
    body = await gql(
        "query($p: ID!, $id: ID!) { patient(id: $p) { id document(id: $id) { id title } } }",
        {"p": first.global_id, "id": encode_id("Document", document.id)},
        token=await token_of(doctor),
    )
    assert body["data"] == {"patient": {"id": first.global_id, "document": None}}
    assert error_codes(body) == ["NOT_FOUND"]
    assert [e.object_type for e in await entries(database, second.person_id)] == []
    assert [e.object_type for e in await entries(database, first.person_id)] == ["Patient"]


# Mutations that take a node's id and answer with the node; the values asked change nothing
# (set to what they are), so that a leak would show without harming the demo data.
MUTATIONS: dict[str, tuple[str, Callable[[str], dict[str, Any]], str, str]] = {
    "Document": (
        """mutation($input: SetDocumentVisibilityInput!) { setDocumentVisibility(input: $input) {
          document { id title } userErrors { code } } }""",
        lambda node_id: {"input": {"documentId": node_id, "maskedEvenInEmergencies": False}},
        "setDocumentVisibility",
        "document",
    ),
    "AgendaItem": (
        """mutation($input: UpdateAgendaItemInput!) { updateAgendaItem(input: $input) {
          agendaItem { id title } userErrors { code } } }""",
        lambda node_id: {"input": {"id": node_id, "status": "DUE"}},
        "updateAgendaItem",
        "agendaItem",
    ),
    "Thread": (
        """mutation($id: ID!) { archiveThread(threadId: $id, archived: false) {
          thread { id } userErrors { code } } }""",
        lambda node_id: {"id": node_id},
        "archiveThread",
        "thread",
    ),
}


@pytest.mark.parametrize("type_name", sorted(MUTATIONS))
async def test_no_mutation_answers_with_a_node_of_a_closed_space(world: World, type_name: str) -> None:
    query, variables, field_name, node_field = MUTATIONS[type_name]
    tried = 0
    for node in (n for n in world.nodes if n.type_name == type_name):
        for persona in PERSONAS:
            if OPENS[persona].get(node.space) is not None:
                continue
            body = await world.ask(persona, query, variables(node.global_id))
            outcome = _outcome(body, [field_name, node_field], node)
            payload = (body.get("data") or {}).get(field_name) or {}
            codes = set(outcome.codes) | {e["code"] for e in payload.get("userErrors") or []}
            assert not outcome.got, f"LEAK: {persona} -> {node} via {field_name}: {body}"
            assert codes, f"{persona} -> {node} via {field_name}: {body}"
            assert codes <= REFUSED, f"{persona} -> {node} via {field_name}: {body}"
            tried += 1
    assert tried > 0
