"""Drives the OAuth flow over HTTP as a catalogue app and its user would."""

from __future__ import annotations

import re
import secrets
import tomllib
import uuid
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7636.challenge import create_s256_code_challenge

from api.catalogue.manifest import Manifest
from api.catalogue.service import sync_manifests
from api.demo.personas import DEMO_PASSWORD

CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return unescape(match.group(1))  # as a browser reads it


async def referenced_app(
    gql, database, *, scopes: list[str] | None = None, client_type: str = "public"
) -> Manifest:
    """A fresh referenced app, like glyco-compagnon (loopback redirect URI)."""
    data = tomllib.loads((CATALOGUE / "glyco-compagnon.toml").read_text(encoding="utf-8"))
    data.update(
        client_id=f"test-{uuid.uuid4().hex[:10]}", name=f"App {uuid.uuid4().hex[:6]}", client_type=client_type
    )
    if scopes is not None:
        data["scopes"] = [
            {"scope": s, "justification": "Une justification assez longue pour passer."} for s in scopes
        ]
    manifest = Manifest.model_validate(data)
    await sync_manifests(database, [manifest])
    for decision in ("START_REVIEW", "REFERENCE"):
        body = await gql(
            """mutation($input: ReviewAppInput!) { reviewApp(input: $input) { userErrors { message } } }""",
            {
                "input": {
                    "clientId": manifest.client_id,
                    "decision": decision,
                    "comment": "Vetted for the tests",
                }
            },
            as_="operator",
        )
        assert body["data"]["reviewApp"]["userErrors"] == []
    return manifest


@dataclass
class Flow:
    """One browser (its cookies) and one app (its PKCE verifier and state)."""

    client: httpx.AsyncClient
    client_id: str
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def authorize_params(self, scope: str, **overrides: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": self.state,
            "code_challenge": create_s256_code_challenge(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {key: value for key, value in params.items() if value is not None}

    async def authorize(self, scope: str, **overrides: str) -> httpx.Response:
        return await self.client.get(
            f"/oauth/authorize?{urlencode(self.authorize_params(scope, **overrides))}"
        )

    async def login(self, page: httpx.Response, handle: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/oauth/login",
            data={
                "csrf": hidden(page.text, "csrf"),
                "next": hidden(page.text, "next"),
                "handle": handle,
                "password": password,
            },
        )

    async def consent(
        self, page: httpx.Response, *, scopes: list[str], space: str | None = None, decision: str = "allow"
    ) -> httpx.Response:
        form: list[tuple[str, str]] = [("csrf", hidden(page.text, "csrf")), ("decision", decision)]
        for name in (
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ):
            form.append((name, hidden(page.text, name)))
        first_space = re.search(r'name="space" value="([^"]+)"', page.text)
        assert first_space
        form.append(("space", space or first_space.group(1)))
        form.extend(("scope_granted", scope) for scope in scopes)
        return await self.client.post(
            "/oauth/authorize",
            content=urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    async def code_for(self, handle: str, scope: str, granted: list[str], space: str | None = None) -> str:
        page = await self.authorize(scope)
        assert page.status_code == 200, page.text
        if 'action="/oauth/login"' in page.text:
            logged_in = await self.login(page, handle)
            assert logged_in.status_code == 303, logged_in.text
            page = await self.client.get(logged_in.headers["location"])
        assert 'action="/oauth/authorize"' in page.text, page.text
        redirected = await self.consent(page, scopes=granted, space=space)
        assert redirected.status_code == 303, redirected.text
        query = parse_qs(urlsplit(redirected.headers["location"]).query)
        assert query["state"] == [self.state]
        return query["code"][0]

    async def token(self, **form: str) -> httpx.Response:
        return await self.client.post("/oauth/token", data={"client_id": self.client_id, **form})

    async def exchange(self, code: str, verifier: str | None = None) -> httpx.Response:
        return await self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=verifier or self.verifier,
        )


def redirect_query(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)
