"""The requests of each scenario, made from the generated data before the runs:
tokens minted up front, bodies encoded once, so the load generator only sends."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import text

from api.agenda.service import refresh
from api.bench import queries
from api.bench.load import Request
from api.bench.pdf import lab_report_pdf
from api.bench.server import REFERENCE_PREFIX
from api.db import Database
from api.directory.records import AccountRecord
from api.graphql.ids import encode_id
from api.identity.dev_tokens import mint_development_token
from api.identity.tokens import AccessTokens
from api.settings import Settings
from api.timezones import paris_today

if TYPE_CHECKING:
    from api.bench.dataset import Dataset

SCENARIOS = ("dashboard", "reference", "professional_read", "deposit", "search")
# Searched in the chronic patient's dossier; those matching nothing there are left out.
FRENCH_WORDS = (
    "glycémie", "hémoglobine", "cholestérol", "créatinine", "ordonnance", "compte rendu", "bilan",
    "radiographie", "échographie", "tension artérielle", "insuline", "diabète", "vaccination",
    "consultation", "hospitalisation", "analyse", "traitement", "cardiologie", "scanner", "sanguin",
)  # fmt: skip
DEPOSIT_BODIES = 64  # distinct patients deposited to, each body about 100 KB
PDF_BYTES = 100_000

MakeRequests = Callable[[str], Awaitable[list[Request]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    # Called once the API answers, with its base URL (the deposit feed's token
    # comes from the API's own /oauth/token).
    requests: MakeRequests


def graphql_request(token: str, query: str, variables: dict[str, object]) -> Request:
    body = json.dumps({"query": query, "variables": variables}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return Request("POST", "/graphql", headers, body)


def multipart_deposit(token: str, ins: str, pdf: bytes, boundary: str) -> Request:
    """The GraphQL multipart request spec, as tests/dossier sends it."""
    variables = {"patientIns": ins, "title": "Bilan biologique", "typeCode": "11502-2", "file": None}
    operations = json.dumps({"query": queries.DEPOSIT, "variables": {"input": variables}})
    parts = [
        ("operations", None, operations.encode()),
        ("map", None, json.dumps({"0": ["variables.input.file"]}).encode()),
        ("0", "bilan.pdf", pdf),
    ]
    body = bytearray()
    for name, filename, content in parts:
        body += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"Content-Disposition: {disposition}\r\n".encode()
        if filename:
            body += b"Content-Type: application/pdf\r\n"
        body += b"\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "GraphQL-Preflight": "1",
    }
    return Request("POST", "/graphql", headers, bytes(body), mutation="depositDocument")


def dashboard_year() -> int:
    return paris_today().year


async def patient_accounts(database: Database, count: int, exclude: uuid.UUID) -> list[AccountRecord]:
    """`count` patients' accounts, the same sample each time, `exclude`'s left out."""
    async with database.read() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, handle, patient_id FROM accounts WHERE patient_id IS NOT NULL "
                "AND patient_id != :exclude ORDER BY md5(id::text) LIMIT :count"
            ),
            {"exclude": exclude, "count": count},
        )
        return [AccountRecord(row.id, row.handle, row.patient_id, None, None, row.handle) for row in rows]


async def _account_of_patient(database: Database, patient_id: uuid.UUID) -> AccountRecord:
    async with database.read() as connection:
        row = (
            await connection.execute(
                text("SELECT id, handle FROM accounts WHERE patient_id = :p"), {"p": patient_id}
            )
        ).one()
    return AccountRecord(row.id, row.handle, patient_id, None, None, row.handle)


async def _doctors_and_patients(database: Database, count: int) -> list[tuple[AccountRecord, uuid.UUID]]:
    async with database.read() as connection:
        rows = await connection.execute(
            text(
                "SELECT a.id, a.handle, a.professional_id, c.patient_id FROM care_relationships c "
                "JOIN accounts a ON a.professional_id = c.professional_id "
                "WHERE c.role = 'MEDECIN_TRAITANT' ORDER BY md5(c.patient_id::text) LIMIT :count"
            ),
            {"count": count},
        )
        return [
            (AccountRecord(row.id, row.handle, None, row.professional_id, None, row.handle), row.patient_id)
            for row in rows
        ]


async def _insses(database: Database, count: int) -> list[str]:
    async with database.read() as connection:
        rows = await connection.execute(
            text("SELECT ins FROM patients ORDER BY md5(id::text) LIMIT :count"), {"count": count}
        )
        return [row.ins for row in rows]


async def search_words(database: Database, patient_id: uuid.UUID) -> list[str]:
    """The French words that find something in this dossier (the search must work)."""
    found = []
    async with database.read() as connection:
        for words in FRENCH_WORDS:
            hits = await connection.scalar(
                text(
                    "SELECT count(*) FROM documents WHERE patient_id = :p AND "
                    "search_vector @@ plainto_tsquery('french', unaccent(:w))"
                ),
                {"p": patient_id, "w": words},
            )
            if hits:
                found.append(words)
    return found


async def client_credentials_token(base_url: str, client_id: str, secret: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as client:
        issued = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
    if issued.status_code != 200:
        raise RuntimeError(f"the lab feed got no token: {issued.status_code} {issued.text[:200]}")
    return str(issued.json()["access_token"])


async def build(
    settings: Settings,
    database: Database,
    tokens: AccessTokens,
    dataset: Dataset,
    names: tuple[str, ...],
    *,
    sample: int = 1_000,
) -> dict[str, Scenario]:
    """The scenarios named, in SCENARIOS order. Dashboard patients get their
    agenda refreshed first, so runs measure the steady state (and the reference,
    which reads the stored items, answers the same)."""
    year = dashboard_year()
    made: dict[str, Scenario] = {}
    if "dashboard" in names or "reference" in names:
        accounts = await patient_accounts(database, sample, dataset.chronic_patient_id)
        for account in accounts:
            await refresh(database, account.patient_id)  # type: ignore[arg-type]
        patient_tokens = [mint_development_token(settings, tokens, account) for account in accounts]

        async def dashboard(base_url: str) -> list[Request]:
            return [graphql_request(token, queries.DASHBOARD, {"year": year}) for token in patient_tokens]

        async def reference(base_url: str) -> list[Request]:
            return [
                Request("GET", f"{REFERENCE_PREFIX}/dashboard?year={year}", {"Authorization": f"Bearer {t}"})
                for t in patient_tokens
            ]

        made["dashboard"] = Scenario("dashboard", f"{len(accounts)} patients' home query", dashboard)
        made["reference"] = Scenario("reference", "the same data by raw SQL (asyncpg + orjson)", reference)
    if "professional_read" in names:
        pairs = await _doctors_and_patients(database, sample)
        reads = [
            graphql_request(
                mint_development_token(settings, tokens, doctor),
                queries.PROFESSIONAL_READ,
                {"id": encode_id("Patient", patient_id)},
            )
            for doctor, patient_id in pairs
        ]

        async def professional_read(base_url: str) -> list[Request]:
            return reads

        made["professional_read"] = Scenario(
            "professional_read", f"{len(pairs)} GPs reading 20 documents (journaled)", professional_read
        )
    if "deposit" in names:
        insses = await _insses(database, DEPOSIT_BODIES)
        pdfs = [lab_report_pdf(PDF_BYTES, seed=seed) for seed in range(len(insses))]

        async def deposit(base_url: str) -> list[Request]:
            token = await client_credentials_token(base_url, dataset.lab_client_id, dataset.lab_client_secret)
            boundary = uuid.uuid4().hex
            return [
                multipart_deposit(token, ins, pdf, boundary) for ins, pdf in zip(insses, pdfs, strict=True)
            ]

        made["deposit"] = Scenario(
            "deposit", f"a lab feed depositing {PDF_BYTES // 1000} KB PDFs by INS", deposit
        )
    if "search" in names:
        words = await search_words(database, dataset.chronic_patient_id)
        if not words:
            raise RuntimeError("no French word finds anything in the chronic patient's dossier")
        chronic = await _account_of_patient(database, dataset.chronic_patient_id)
        token = mint_development_token(settings, tokens, chronic)
        searches = [graphql_request(token, queries.SEARCH, {"words": w}) for w in words]

        async def search(base_url: str) -> list[Request]:
            return searches

        made["search"] = Scenario("search", f"{len(words)} French searches in the chronic dossier", search)
    return {name: made[name] for name in SCENARIOS if name in made}
