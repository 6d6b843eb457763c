"""The login and consent pages in a real browser: Debian's Chromium, headless,
driven by Playwright, with JavaScript off (the pages need none).

Runs where Chromium is installed (.ci/run installs it and sets
ESPACE_BROWSER_TESTS=1, which turns a missing browser into a failure).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.oauth.flow import REDIRECT_URI, Flow, referenced_app

CHROMIUM = os.environ.get("ESPACE_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("ESPACE_BROWSER_TESTS") == "1"


def _browser_or_skip() -> None:
    missing = []
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM}")
    if missing:
        message = f"browser test needs {' and '.join(missing)} (apt-get install chromium)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_server(settings):
    """The API in its own process, on the test database, as a browser needs it."""
    port = _free_port()
    environment = {
        **os.environ,
        "ESPACE_DATABASE_URL": settings.resolved_database_url,
        "ESPACE_VAR_DIR": str(settings.var_dir),
        "ESPACE_TOKEN_ISSUER": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server, on loopback
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the live server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_login_and_consent_in_chromium_without_javascript(live_server, gql, database, tmp_path) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read"])
    flow = Flow(httpx.AsyncClient(base_url=live_server), manifest.client_id)
    authorize_url = f"{live_server}/oauth/authorize?" + "&".join(
        f"{key}={value}" for key, value in flow.authorize_params("agenda:read profile:read").items()
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        try:
            context = await browser.new_context(java_script_enabled=False, locale="fr-FR")
            page = await context.new_page()
            callback: dict[str, str] = {}

            async def catch_callback(route) -> None:
                callback["url"] = route.request.url
                await route.fulfill(status=200, body="app callback", content_type="text/plain")

            await page.route(f"{REDIRECT_URI}*", catch_callback)
            await page.goto(authorize_url)
            assert await page.title() == "Connexion · Espace Santé"
            await page.fill("input[name=handle]", "nadia")
            await page.fill("input[name=password]", "demo")
            await page.click("button[type=submit]")
            await page.wait_for_selector("text=Ce que l'application pourra faire")
            await page.screenshot(path=str(tmp_path / "consent.png"), full_page=True)
            assert await page.is_checked("input[value='profile:read']")
            await page.uncheck("input[value='profile:read']")  # grant fewer scopes than asked
            await page.click("button[value=allow]")
            await page.wait_for_url(f"{REDIRECT_URI}*")
        finally:
            await browser.close()

    query = parse_qs(urlsplit(callback["url"]).query)
    assert query["state"] == [flow.state]
    assert query["iss"] == [live_server]
    async with httpx.AsyncClient(base_url=live_server) as client:
        issued = await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": manifest.client_id,
                "code": query["code"][0],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": flow.verifier,
            },
        )
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "agenda:read"
