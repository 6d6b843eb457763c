"""What the public sees: the query without a token, the terminal table, the page, in Chromium too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType

from api.cli import main
from api.graphql.schema import build_schema
from api.indicators.aggregate import refresh
from tests.conftest import error_codes
from tests.indicators import dataset
from tests.oauth.test_browser import CHROMIUM, _browser_or_skip, live_server  # noqa: F401 - a fixture

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
QUERY = """query ($from: Date, $to: Date) { indicators(from: $from, to: $to) {
  from to months computedThrough minCell population
  indicators { id unit dimensions title(language: EN) definition
               points { period dimension value suppressed } } } }"""


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
    ],
)
async def test_a_bad_period_is_bad_user_input(gql, variables, message) -> None:
    body = await gql(QUERY, variables)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


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


async def test_the_command_line_refreshes_and_prints(own_database, monkeypatch, capsys) -> None:
    await dataset.build(own_database)
    monkeypatch.setenv("ESPACE_DATABASE_URL", own_database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ESPACE_INDICATORS_MIN_CELL", "1")
    assert await asyncio.to_thread(main, ["indicators", "refresh", "--day", "2025-03-10"]) == 0
    assert "1 day(s) from 2025-03-10 to 2025-03-10" in capsys.readouterr().out
    arguments = ["indicators", "--from", "2025-03-01", "--to", "2025-03-31", "--language", "en"]
    assert await asyncio.to_thread(main, arguments) == 0
    table = capsys.readouterr().out
    assert "Documents deposited [documents_deposited, documents]" in table
    laboratory = next(line for line in table.splitlines() if line.startswith("LABORATORY"))
    assert laboratory.split()[-1] == "12"
    assert await asyncio.to_thread(main, ["indicators", "refresh", "--day", "2999-01-01"]) != 0


async def test_the_page_renders_in_chromium(live_server, database) -> None:  # noqa: F811 - the fixture
    _browser_or_skip()
    from playwright.async_api import async_playwright

    await refresh(database, dataset.DAY, dataset.DAY, run_by="browser test")
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
