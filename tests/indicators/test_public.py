"""What the public sees: the query without a token, the terminal table, the page, in Chromium too."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from api.cli import main
from api.graphql.schema import build_schema
from api.indicators.aggregate import refresh
from api.timezones import paris_today
from tests.conftest import error_codes
from tests.indicators import dataset
from tests.oauth.test_browser import CHROMIUM, _browser_or_skip, live_server  # noqa: F401 - a fixture

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
QUERY = """query ($from: Date, $to: Date) { indicators(from: $from, to: $to) {
  from to months computedThrough minCell population
  indicators { id unit dimensions title(language: EN) definition
               points { period dimension value suppressed provisional } } } }"""


async def test_the_query_needs_no_token(gql) -> None:
    body = await gql(QUERY, {"from": "2025-03-01", "to": "2025-04-30"})
    assert "errors" not in body, body
    answer = body["data"]["indicators"]
    assert answer["months"] == ["2025-03", "2025-04"]
    assert answer["minCell"] == 10
    ids = [indicator["id"] for indicator in answer["indicators"]]
    assert "documents_deposited" in ids
    assert "lab_duplicates" in ids
    assert all(indicator["definition"] for indicator in answer["indicators"])


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"from": "2025-05-01", "to": "2025-04-01"}, "after"),
        ({"to": "2999-01-01"}, "past"),
        ({"from": "2001-01-01", "to": "2025-01-01"}, "60 months"),
        ({"from": "0001-01-01", "to": "0001-02-01"}, "2000-01-01"),
        ({"from": "1999-12-31"}, "2000-01-01"),
        ({"from": paris_today().isoformat()}, "no complete month"),
    ],
)
async def test_a_bad_period_is_bad_user_input(gql, variables, message) -> None:
    body = await gql(QUERY, variables)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


async def test_the_period_is_rounded_out_to_whole_complete_months(gql) -> None:
    answer = (await gql(QUERY, {"from": "2025-03-15", "to": "2025-04-02"}))["data"]["indicators"]
    assert (answer["from"], answer["to"], answer["months"]) == (
        "2025-03-01",
        "2025-04-30",
        ["2025-03", "2025-04"],
    )
    # The latest month published is the last complete one, even when `to` is yesterday.
    yesterday = paris_today() - timedelta(days=1)
    last = (
        yesterday
        if (yesterday + timedelta(days=1)).day == 1
        else yesterday.replace(day=1) - timedelta(days=1)
    )
    for variables in ({}, {"to": yesterday.isoformat()}):
        answer = (await gql(QUERY, variables))["data"]["indicators"]
        assert answer["to"] == last.isoformat()
        assert answer["months"][-1] == last.isoformat()[:7]
        assert len(answer["months"]) == 12 or variables


def test_no_field_leads_to_patient_data() -> None:
    """From `indicators`, only numbers, texts and dates: no node, no id, no person."""
    schema = build_schema()._schema
    seen: set[str] = set()

    def walk(kind) -> None:
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            kind = kind.of_type
        if isinstance(kind, GraphQLObjectType):
            assert kind.name in {"Indicators", "Indicator", "IndicatorPoint"}, kind.name
            if kind.name not in seen:
                seen.add(kind.name)
                for field in kind.fields.values():
                    walk(field.type)
        else:
            assert kind.name in {"String", "Float", "Int", "Boolean", "Date"}, kind.name

    walk(schema.query_type.fields["indicators"].type)
    assert seen == {"Indicators", "Indicator", "IndicatorPoint"}


async def test_the_page_is_light_strict_and_drawn(client) -> None:
    for period in ("", "?from=2024-01-01&to=2025-12-31&lang=en"):
        response = await client.get(f"/indicators{period}")
        assert response.status_code == 200
        assert len(response.content) < 100_000
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "<script" not in response.text
        assert "<svg" in response.text
        assert "lab_duplicates" in response.text
    assert (await client.get("/indicators?from=nonsense")).status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=0001-01-01", "`from` must be on or after 2000-01-01"),
        ("from=0001-01-01&to=0001-02-01", "`from` must be on or after 2000-01-01"),
        ("from=nonsense", "YYYY-MM-DD"),
        ("to=2999-01-01", "past day"),
    ],
)
async def test_a_bad_period_on_the_page_is_a_400_never_cached(client, query, message) -> None:
    response = await client.get(f"/indicators?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_the_command_line_refreshes_and_prints(own_database, monkeypatch, capsys) -> None:
    await dataset.build(own_database)
    monkeypatch.setenv("ESPACE_DATABASE_URL", own_database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ESPACE_INDICATORS_MIN_CELL", "1")
    assert await asyncio.to_thread(main, ["indicators", "refresh", "--day", "2025-03-10"]) == 0
    assert "1 day(s) from 2025-03-10 to 2025-03-10" in capsys.readouterr().out
    arguments = ["indicators", "--from", "2025-03-05", "--to", "2025-03-20", "--language", "en"]
    assert await asyncio.to_thread(main, arguments) == 0
    table = capsys.readouterr().out
    assert "Indicators from 2025-03-01 to 2025-03-31" in table  # whole months, as the page and the query
    laboratory = next(line for line in table.splitlines() if line.startswith("LABORATORY"))
    assert laboratory.split()[-1] == "–"  # one day of March aggregated: no figure, not a partial one
    refresh = ["indicators", "refresh", "--from", "2025-03-01", "--to", "2025-03-31"]
    # 2025-03-10 is over 90 days old and already aggregated: published history needs --force.
    assert await asyncio.to_thread(main, refresh) != 0
    refused = capsys.readouterr().err
    assert "1 day(s) from 2025-03-10 to 2025-03-10" in refused
    assert "--force" in refused
    assert await asyncio.to_thread(main, [*refresh, "--force"]) == 0
    assert "31 day(s) from 2025-03-01 to 2025-03-31" in capsys.readouterr().out
    assert await asyncio.to_thread(main, arguments) == 0
    table = capsys.readouterr().out
    assert "Documents deposited [documents_deposited, documents]" in table
    laboratory = next(line for line in table.splitlines() if line.startswith("LABORATORY"))
    assert laboratory.split()[-1] == "13"
    assert await asyncio.to_thread(main, ["indicators", "refresh", "--day", "2999-01-01"]) != 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["indicators", "refresh", "--to", "2025-03-31"], "--to needs --from"),
        (
            ["indicators", "refresh", "--from", "2025-03-31", "--to", "2025-03-01"],
            "--from must not come after --to",
        ),
        (["indicators", "--from", "2025-05-01", "--to", "2025-04-01"], "--from must not come after --to"),
        (["indicators", "--from", "0001-01-01"], "--from must be on or after 2000-01-01"),
    ],
)
async def test_the_command_line_refuses_a_bad_range_naming_its_flags(
    own_database, monkeypatch, capsys, arguments, message
) -> None:
    monkeypatch.setenv("ESPACE_DATABASE_URL", own_database.engine.url.render_as_string(hide_password=False))
    assert await asyncio.to_thread(main, arguments) != 0
    assert message in capsys.readouterr().err


async def test_the_page_renders_in_chromium(live_server, database) -> None:  # noqa: F811 - the fixture
    _browser_or_skip()
    from playwright.async_api import async_playwright

    await refresh(database, dataset.DAY, dataset.DAY, run_by="browser test", force=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            context = await browser.new_context(java_script_enabled=False, locale="fr-FR")
            page = await context.new_page()
            blocked: list[str] = []
            page.on(
                "console",
                lambda message: blocked.append(message.text) if "Content Security" in message.text else None,
            )
            response = await page.goto(f"{live_server}/indicators?from=2025-01-01&to=2025-12-31")
            assert response is not None
            assert response.status == 200
            assert await page.locator("section svg").count() == 13
            assert await page.locator("#documents_deposited h2").inner_text() == "Documents déposés"
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "indicators.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 1000
            assert blocked == []
        finally:
            await browser.close()
