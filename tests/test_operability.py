"""Operability: /metrics in Prometheus's format (kept from the public in production),
JSON logs carrying the request id, and no patient data in logs."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.logs import REQUEST_ID, JsonFormatter, RedactQueryStrings, log_config
from api.metrics import MAX_OPERATION_NAMES, operation_label
from tests.test_production_mode import production_settings


def _sample(body: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in body.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


async def test_metrics_count_operations_journal_writes_and_the_outbox(client, token_for) -> None:
    before = (await client.get("/metrics")).text
    token = await token_for("gp")
    nadia = (
        await client.post(
            "/graphql",
            json={"query": "{ viewer { patients { id } } }"},
            headers={"Authorization": f"Bearer {await token_for('nadia')}"},
        )
    ).json()["data"]["viewer"]["patients"][0]["id"]
    query = "query DoctorReads($id: ID!) { patient(id: $id) { documents(first: 2) { edges { node { title } } } } }"  # noqa: E501
    read = await client.post(
        "/graphql",
        json={"query": query, "variables": {"id": nadia}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "errors" not in read.json()
    refused = await client.post("/graphql", json={"query": "query Broken { nope }"})
    assert refused.status_code == 400

    scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    after = scrape.text
    ok = ("espace_graphql_requests_total", {"operation": "DoctorReads", "outcome": "ok"})
    assert _sample(after, ok[0], **ok[1]) == _sample(before, ok[0], **ok[1]) + 1
    failed = {"operation": "Broken", "outcome": "GRAPHQL_VALIDATION_FAILED"}
    assert _sample(after, "espace_graphql_requests_total", **failed) >= 1
    assert _sample(after, "espace_graphql_request_seconds_count", operation="DoctorReads") >= 1
    # The GP's read was journaled: entries written went up.
    assert _sample(after, "espace_journal_entries_written_total") > _sample(
        before, "espace_journal_entries_written_total"
    )
    assert "espace_db_pool_connections" in after
    assert "espace_outbox_backlog " in after


def test_operation_names_from_clients_cannot_flood_the_labels() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("x" * 100) == "other"
    assert operation_label("Robert'); DROP") == "other"
    labels = {operation_label(f"Flood{n}") for n in range(MAX_OPERATION_NAMES * 2)}
    assert "other" in labels
    assert len(labels) <= MAX_OPERATION_NAMES + 1


async def test_metrics_are_kept_from_the_public_in_production(settings, database) -> None:
    import httpx

    async def scrape(app, **headers: str) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://api"
        ) as client:
            return await client.get("/metrics", headers=headers)

    closed = create_app(production_settings(settings), database)
    assert (await scrape(closed)).status_code == 404
    guarded = create_app(production_settings(settings, metrics_token="s3cret-metrics-token"), database)
    assert (await scrape(guarded)).status_code == 404
    assert (await scrape(guarded, authorization="Bearer wrong")).status_code == 404
    answer = await scrape(guarded, authorization="Bearer s3cret-metrics-token")
    assert answer.status_code == 200
    assert "espace_graphql_requests_total" in answer.text


def test_json_logs_carry_the_request_id_and_the_exception() -> None:
    try:
        int("boom")
    except ValueError:
        failure = sys.exc_info()
    record = logging.LogRecord("api.test", logging.ERROR, __file__, 1, "failed %s", ("here",), failure)
    token = REQUEST_ID.set("req-12345678")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "failed here"
    assert line["level"] == "ERROR"
    assert line["request_id"] == "req-12345678"
    assert "ValueError: invalid literal" in line["exception"]
    config = log_config("info", "json")
    assert config["formatters"]["default"] == {"()": "api.logs.JsonFormatter"}
    assert "redact_query_strings" in config["handlers"]["default"]["filters"]


def test_access_logs_show_no_graphql_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4", "GET", '/graphql?variables={"words":"diabète"}&extensions=x', "1.1", 200),
        None,
    )
    RedactQueryStrings().filter(record)
    assert "diabète" not in record.getMessage()
    assert "/graphql?***" in record.getMessage()


async def test_database_errors_never_show_statement_parameters(database) -> None:
    secret = "Nadia-Diabete-0042"
    with pytest.raises(DBAPIError) as raised:
        async with database.read() as connection:
            await connection.execute(
                text("SELECT CAST(:value AS INTEGER) + no_such_column"), {"value": secret}
            )
    assert secret not in str(raised.value)
