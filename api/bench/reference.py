"""The benchmark's limit, never part of the product: the dashboard's data read
with hand-written SQL through an asyncpg pool and answered with orjson, in the
JSON shape of the GraphQL dashboard (`queries.DASHBOARD`). It checks the same
bearer token's signature, as the API does, and journals nothing (neither does
the API when patients read their own space)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.bench.queries import (
    DASHBOARD_AGENDA_ITEMS,
    DASHBOARD_AGENDA_STATUSES,
    DASHBOARD_DOCUMENTS,
    DASHBOARD_THREADS,
)
from api.errors import Unauthenticated
from api.identity.tokens import AccessTokens
from api.settings import Settings
from api.timezones import paris_today

PATIENT = """SELECT p.id, p.given_name || ' ' || p.family_name
FROM accounts a JOIN patients p ON p.id = a.patient_id WHERE a.id = $1"""
DOCUMENTS = """SELECT d.title, d.type_code, d.service_date, pr.title, pr.given_name, pr.family_name,
  pr.profession, o.name
FROM documents d
LEFT JOIN professionals pr ON pr.id = d.author_professional_id
LEFT JOIN organizations o ON o.id = pr.organization_id
WHERE d.patient_id = $1 AND NOT d.hidden_from_patient AND d.status = 'CURRENT'
ORDER BY d.id DESC LIMIT $2"""
AGENDA = """SELECT title, kind, due_date, starts_at, status FROM agenda_items
WHERE patient_id = $1 AND status = ANY($2::text[]) ORDER BY day, id LIMIT $3"""
THREADS = """SELECT t.subject, t.last_message_at,
  (SELECT count(*) FROM messages m
   WHERE m.thread_id = t.id AND m.read_at IS NULL AND m.sender_kind = 'PROFESSIONAL')
FROM threads t WHERE t.patient_id = $1 ORDER BY t.last_message_at DESC, t.id DESC LIMIT $2"""
SUMMARY = """SELECT coalesce(sum(reimbursed_cents), 0), coalesce(sum(out_of_pocket_cents), 0)
FROM reimbursements WHERE patient_id = $1 AND care_date BETWEEN $2 AND $3"""


def asyncpg_dsn(settings: Settings) -> str:
    url = make_url(settings.resolved_database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError("the reference endpoint runs on PostgreSQL only")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _json(content: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json")


def _author(row: asyncpg.Record) -> dict[str, Any] | None:
    if row[4] is None:
        return None
    name = f"{row[4]} {row[5]}"
    return {
        "displayName": f"{row[3]} {name}" if row[3] else name,
        "profession": row[6],
        "organization": {"name": row[7]} if row[7] is not None else None,
    }


async def dashboard(connection: asyncpg.Connection, account_id: uuid.UUID, year: int) -> dict[str, Any]:
    """The dashboard's answer for the patient behind `account_id`, as GraphQL shapes it."""
    patient = await connection.fetchrow(PATIENT, account_id)
    if patient is None:
        return {"data": {"patient": None}, "errors": [{"message": "no patient"}]}
    patient_id = patient[0]
    documents = await connection.fetch(DOCUMENTS, patient_id, DASHBOARD_DOCUMENTS)
    agenda = await connection.fetch(
        AGENDA, patient_id, list(DASHBOARD_AGENDA_STATUSES), DASHBOARD_AGENDA_ITEMS
    )
    threads = await connection.fetch(THREADS, patient_id, DASHBOARD_THREADS)
    reimbursed, out_of_pocket = await connection.fetchrow(
        SUMMARY, patient_id, date(year, 1, 1), date(year, 12, 31)
    )
    return {
        "data": {
            "patient": {
                "displayName": patient[1],
                "documents": {
                    "edges": [
                        {"node": {"title": r[0], "typeCode": r[1], "serviceDate": r[2], "author": _author(r)}}
                        for r in documents
                    ]
                },
                "agenda": {
                    "edges": [
                        {
                            "node": {
                                "title": r[0],
                                "kind": r[1],
                                "dueDate": r[2],
                                "startsAt": r[3],
                                "status": r[4],
                            }
                        }
                        for r in agenda
                    ]
                },
                "threads": {
                    "edges": [
                        {"node": {"subject": r[0], "lastMessageAt": r[1], "unreadCount": r[2]}}
                        for r in threads
                    ]
                },
                "reimbursementSummary": {
                    "year": year,
                    "reimbursedCents": int(reimbursed),
                    "outOfPocketCents": int(out_of_pocket),
                },
            }
        }
    }


class StatementCounter:
    """How many SQL statements the API's engine ran (the bench server's listener adds)."""

    def __init__(self) -> None:
        self.count = 0


def reference_app(
    settings: Settings, tokens: AccessTokens, counter: StatementCounter | None = None
) -> Starlette:
    """`GET /dashboard?year=Y` with a bearer token; `GET /statements` when counting."""
    dsn = asyncpg_dsn(settings)
    pool: asyncpg.Pool | None = None
    opening = asyncio.Lock()

    async def connection_pool() -> asyncpg.Pool:
        # Opened on first use: the bench server hands lifespan events to the product only.
        nonlocal pool
        async with opening:
            if pool is None:
                pool = await asyncpg.create_pool(dsn, min_size=1, max_size=settings.db_pool_size)
        return pool

    async def dashboard_route(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return _json({"errors": [{"message": "A bearer token, please."}]}, status=401)
        try:
            account_id = uuid.UUID(tokens.verify(token)["sub"])
        except (Unauthenticated, ValueError) as error:
            return _json({"errors": [{"message": str(error)}]}, status=401)
        year = int(request.query_params.get("year") or paris_today().year)
        async with (await connection_pool()).acquire() as connection:
            return _json(await dashboard(connection, account_id, year))

    async def statements(request: Request) -> Response:
        return _json({"statements": counter.count if counter else None})

    return Starlette(
        routes=[
            Route("/dashboard", dashboard_route, methods=["GET"]),
            Route("/statements", statements, methods=["GET"]),
        ]
    )
