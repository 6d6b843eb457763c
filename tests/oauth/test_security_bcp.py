"""The attacks of RFC 9700 (OAuth 2.0 Security Best Current Practice), each refused
with the RFC's answer. Issue #10.

Cases already covered elsewhere are not repeated here:
- an unknown client, and a wrong redirect URI (other host, other path,
  `localhost`, empty, malformed loopback URIs) never redirect:
  test_bad_inputs.py::test_an_unknown_client_gets_our_error_page_and_no_redirect,
  ::test_a_wrong_redirect_uri_is_never_followed,
  ::test_malformed_loopback_redirect_uris_get_the_error_page;
- login `next` pointing at another site: ::test_login_never_redirects_outside_the_authorization_endpoint;
- `iss` (RFC 9207) in error responses: ::test_bad_authorization_requests_go_back_with_the_rfc_error;
- no challenge, `plain`, a malformed challenge: the same test; redeeming without a
  verifier (invalid_request), with a wrong one, with another redirect URI, expired or
  spent (invalid_grant): ::test_code_exchange_refusals;
- a replayed code kills the access token it issued: ::test_a_replayed_code_revokes_what_it_issued;
- a reused refresh token (invalid_grant) kills the whole grant, the newest access
  and refresh tokens included: test_flow.py::test_the_whole_flow;
- a suspended app: its access token 401, its refresh token invalid_client, no
  redirect from /authorize: test_flow.py::test_suspending_an_app_stops_its_tokens_at_the_next_request;
- alg none, HS256 keyed with the public key, expired, other audience or issuer,
  `typ` other than at+jwt, in the token verifier itself: tests/identity/test_tokens.py
  (here: the same and more at the API, with the service's own key, answering 401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636.challenge import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from api.identity.keys import load_signing_key
from api.identity.service import authenticate
from api.oauth.models import AuthorizationCode
from api.oauth.secrets import digest
from tests.oauth.flow import Flow, hidden, redirect_query, referenced_app

HTTPS_REDIRECT_URI = "https://glyco-compagnon.example/oauth/retour"  # the manifest's other URI
VIEWER = "{ viewer { kind } }"


@pytest.fixture
async def other_flow(browser, gql, database) -> Flow:
    """A second app with the same redirect URI: the other side of a mix-up."""
    manifest = await referenced_app(gql, database, scopes=["agenda:read", "profile:read"])
    return Flow(browser, manifest.client_id)


async def _api(browser: httpx.AsyncClient, token: str) -> httpx.Response:
    return await browser.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )


async def _connect(flow: Flow) -> dict[str, Any]:
    issued = await flow.exchange(await flow.code_for("nadia", "agenda:read", ["agenda:read"]))
    assert issued.status_code == 200, issued.text
    return issued.json()


async def _review(gql, client_id: str, decision: str) -> None:
    body = await gql(
        "mutation($input: ReviewAppInput!) { reviewApp(input: $input) { userErrors { message } } }",
        {"input": {"clientId": client_id, "decision": decision, "comment": "Security review"}},
        as_="operator",
    )
    assert body["data"]["reviewApp"]["userErrors"] == []


# --- open redirects (RFC 9700 §4.1, §4.11; RFC 6749 §4.1.2.1) ----------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        HTTPS_REDIRECT_URI + "/",
        HTTPS_REDIRECT_URI + "?next=https://evil.example/",
        HTTPS_REDIRECT_URI + "#x",
        "https://glyco-compagnon.example/OAUTH/retour",
        "https://glyco-compagnon.example/oauth/%72etour",
        "https://glyco-compagnon.example/oauth/x/../retour",
        "https://glyco-compagnon.example:443/oauth/retour",
        "https://glyco-compagnon.example:8443/oauth/retour",  # only a loopback port may vary
        "http://glyco-compagnon.example/oauth/retour",
        "https://glyco-compagnon.example.evil.example/oauth/retour",
        "https://glyco-compagnon.example@evil.example/oauth/retour",
        "https://evil.example/?https://glyco-compagnon.example/oauth/retour",
        "https://127.0.0.1:8765/callback",
        "http://127.0.0.1:8765/callback/",
        "http://127.0.0.1:8765/callback?x=1",
        "http://127.0.0.1:8765/Callback",
        "http://[::1]:8765/callback",  # another loopback host than the registered one
        "http://127.0.0.2:8765/callback",
    ],
)
async def test_redirect_uris_are_matched_exactly(app_flow, redirect_uri: str) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri=redirect_uri)
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_the_registered_https_redirect_uri_itself_is_accepted(app_flow) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri=HTTPS_REDIRECT_URI)
    assert page.status_code == 200  # the login page: the control of the test above


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_type": "token"},
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge_method": "plain"},
        {"scope": "messages:send"},
    ],
)
async def test_an_unregistered_redirect_uri_is_not_followed_even_to_report_another_error(
    app_flow, overrides: dict[str, str | None]
) -> None:
    # With the registered URI these errors go back to the client; with an unknown
    # one they must stay on our page (RFC 6749 §4.1.2.1).
    response = await app_flow.authorize(
        overrides.pop("scope", "agenda:read"), redirect_uri="https://evil.example/cb", **overrides
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_consent_form_posted_with_another_redirect_uri_is_refused(app_flow, browser) -> None:
    page = await app_flow.authorize("agenda:read")
    page = await browser.get((await app_flow.login(page, "nadia")).headers["location"])
    form = {
        name: hidden(page.text, name)
        for name in (
            "response_type",
            "client_id",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
            "csrf",
        )
    }
    space = hidden(page.text, "space")
    tampered = await browser.post(
        "/oauth/authorize",
        data={
            **form,
            "redirect_uri": "https://evil.example/cb",
            "decision": "allow",
            "space": space,
            "scope_granted": "agenda:read",
        },
    )
    assert tampered.status_code == 400
    assert "location" not in tampered.headers


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/oauth/authorize?",
        "/\\evil.example/oauth/authorize?",
        "https:/evil.example/oauth/authorize?",
        "javascript:alert(1)//oauth/authorize?",
        "/oauth/authorize/../../evil?",
        "/oauth/authorizeX?",
        "/oauth/authorize?x\r\nLocation: https://evil.example/",
        " /oauth/authorize?",
    ],
)
async def test_the_login_next_parameter_cannot_leave_the_authorization_endpoint(
    app_flow, browser, next_url: str
) -> None:
    page = await app_flow.authorize("agenda:read")
    response = await browser.post(
        "/oauth/login",
        data={"csrf": hidden(page.text, "csrf"), "next": next_url, "handle": "nadia", "password": "demo"},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", "/oauth/authorize")
    assert not {"\r", "\n"} & set(location)


# --- mix-up of clients (RFC 9700 §4.4; RFC 9207; RFC 6749 §4.1.3) ------------------


async def test_every_authorization_response_names_the_issuer(app_flow, browser, tokens) -> None:
    issuer = (await browser.get("/.well-known/oauth-authorization-server")).json()["issuer"]
    page = await app_flow.authorize("agenda:read")
    page = await browser.get((await app_flow.login(page, "nadia")).headers["location"])
    granted = redirect_query(await app_flow.consent(page, scopes=["agenda:read"]))
    assert granted["iss"] == [issuer]
    assert granted["code"]
    denied = redirect_query(await app_flow.consent(page, scopes=["agenda:read"], decision="deny"))
    assert (denied["iss"], denied["error"]) == ([issuer], ["access_denied"])
    issued = (await app_flow.exchange(granted["code"][0])).json()
    # RFC 8414 §2: the metadata's issuer is also the tokens' iss.
    assert tokens.verify(issued["access_token"])["iss"] == issuer


async def test_a_code_issued_to_one_client_is_refused_to_another(app_flow, other_flow) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    # The attacker's client presents everything the honest one would (even its verifier).
    stolen = await other_flow.exchange(code, verifier=app_flow.verifier)
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    assert "access_token" not in stolen.json()


async def test_a_refresh_token_of_one_client_is_refused_to_another(app_flow, other_flow, browser) -> None:
    tokens = await _connect(app_flow)
    stolen = await other_flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    assert "access_token" not in stolen.json()


async def test_a_client_cannot_revoke_another_clients_tokens(app_flow, other_flow, browser) -> None:
    tokens = await _connect(app_flow)
    for token in (tokens["refresh_token"], tokens["access_token"]):
        answer = await browser.post("/oauth/revoke", data={"client_id": other_flow.client_id, "token": token})
        assert answer.status_code == 200  # RFC 7009: nothing learnt...
    assert (await _api(browser, tokens["access_token"])).status_code == 200  # ...and nothing revoked


# --- authorization code replay (RFC 6749 §4.1.2, RFC 9700 §4.5) ----------------------


@pytest.mark.parametrize("replayed_by", ["the same client", "another client"])
async def test_a_replayed_code_revokes_every_token_issued_from_it(
    app_flow, other_flow, browser, replayed_by: str
) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    first = (await app_flow.exchange(code)).json()
    rotated = (await app_flow.token(grant_type="refresh_token", refresh_token=first["refresh_token"])).json()
    assert (await _api(browser, rotated["access_token"])).status_code == 200
    replayer = app_flow if replayed_by == "the same client" else other_flow
    replay = await replayer.exchange(code, verifier=app_flow.verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    for access_token in (first["access_token"], rotated["access_token"]):
        assert (await _api(browser, access_token)).status_code == 401
    for refresh_token in (first["refresh_token"], rotated["refresh_token"]):
        refused = await app_flow.token(grant_type="refresh_token", refresh_token=refresh_token)
        assert refused.json()["error"] == "invalid_grant"


# --- PKCE downgrade (RFC 9700 §2.1.1, §4.8; RFC 7636) -------------------------------


async def test_a_challenge_without_its_method_is_refused(app_flow) -> None:
    # RFC 7636 §4.3: a missing method means `plain`, which is not accepted.
    response = await app_flow.authorize("agenda:read", code_challenge_method=None)
    query = redirect_query(response)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query


async def test_the_challenge_itself_is_not_a_verifier(app_flow) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    challenge = create_s256_code_challenge(app_flow.verifier)
    as_plain = await app_flow.exchange(code, verifier=challenge)  # what `plain` would accept
    assert (as_plain.status_code, as_plain.json()["error"]) == (400, "invalid_grant")
    assert (await app_flow.exchange(code)).json()["error"] == "invalid_grant"  # and the code is spent


async def test_every_code_carries_an_s256_challenge(app_flow, database) -> None:
    # No code without PKCE can exist: the column is required, and the one stored is
    # the S256 challenge of the app's verifier.
    assert AuthorizationCode.__table__.c.code_challenge.nullable is False
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    async with database.read() as connection:
        stored = await connection.scalar(
            select(AuthorizationCode.code_challenge).where(AuthorizationCode.code_hash == digest(code))
        )
    assert stored == create_s256_code_challenge(app_flow.verifier)


# --- a suspended or withdrawn app (DOMAIN.md, the catalogue) -------------------------


async def test_a_code_and_a_link_made_before_a_suspension_are_refused_after_it(
    app, app_flow, browser, gql, database, tokens
) -> None:
    connected = await _connect(app_flow)
    pending = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    principal = await authenticate(database, tokens, connected["access_token"])
    link = urlsplit(app.state.content_links.url(principal, uuid.uuid4()))
    before = await browser.get(f"{link.path}?{link.query}")
    assert before.status_code == 404  # the link is good; there is no such document
    await _review(gql, app_flow.client_id, "SUSPEND")
    refused = await app_flow.exchange(pending)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert (await browser.get(f"{link.path}?{link.query}")).status_code == 401


async def test_a_withdrawn_apps_tokens_and_codes_stop_working(app_flow, browser, gql) -> None:
    tokens = await _connect(app_flow)
    pending = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    await _review(gql, app_flow.client_id, "WITHDRAW")
    assert (await _api(browser, tokens["access_token"])).status_code == 401
    refresh = await app_flow.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert (refresh.status_code, refresh.json()["error"]) == (401, "invalid_client")
    exchange = await app_flow.exchange(pending)
    assert (exchange.status_code, exchange.json()["error"]) == (401, "invalid_client")
    assert (await app_flow.authorize("agenda:read")).status_code == 400


# --- audience confusion and forged tokens (RFC 9700 §2.3, §4.10; RFC 9068; RFC 8725) --


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(key: ECKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "ES256", **header}, claims, key, algorithms=["ES256"])


def _alg_none(key: ECKey, claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}."


def _hs256_with_the_public_key(key: ECKey, claims: dict[str, Any]) -> str:
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_b64(claims)}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _another_key(key: ECKey, claims: dict[str, Any]) -> str:
    return _signed(ECKey.generate_key("P-256"), {"typ": "at+jwt", "kid": key.thumbprint()}, claims)


def _embedded_jwk(key: ECKey, claims: dict[str, Any]) -> str:
    attacker = ECKey.generate_key("P-256")
    return _signed(attacker, {"typ": "at+jwt", "jwk": attacker.as_dict(private=False)}, claims)


def _with_claims(**changes: Any) -> Callable[[ECKey, dict[str, Any]], str]:
    def forge(key: ECKey, claims: dict[str, Any]) -> str:
        now = int(time.time())
        values = {name: value(now) if callable(value) else value for name, value in changes.items()}
        return _signed(key, {"typ": "at+jwt"}, {**claims, **values})

    return forge


def _id_token_like(key: ECKey, claims: dict[str, Any]) -> str:
    # What an OpenID provider sharing the key would sign for the app: typ JWT, aud the client.
    id_claims = {**claims, "aud": claims["client_id"], "azp": claims["client_id"], "nonce": "n-0S6"}
    return _signed(key, {"typ": "JWT"}, id_claims)


def _without_typ(key: ECKey, claims: dict[str, Any]) -> str:
    return _signed(key, {}, claims)


FORGERIES: dict[str, Callable[[ECKey, dict[str, Any]], str]] = {
    "alg none": _alg_none,
    "HS256 keyed with the public key": _hs256_with_the_public_key,
    "signed by another key": _another_key,
    "signed by a key embedded in the header": _embedded_jwk,
    "expired": _with_claims(iat=lambda now: now - 600, exp=lambda now: now - 120),
    "not yet valid (nbf)": _with_claims(nbf=lambda now: now + 120),
    "issued in the future (iat)": _with_claims(iat=lambda now: now + 120, exp=lambda now: now + 3600),
    "another audience": _with_claims(aud="https://another-resource.example"),
    "an audience list without ours": _with_claims(aud=["https://another-resource.example"]),
    "another issuer": _with_claims(iss="https://another-issuer.example"),
    "an ID token for the app": _id_token_like,
    "a JWT without typ": _without_typ,
    "typ JWT with access token claims": lambda key, claims: _signed(key, {"typ": "JWT"}, claims),
}


@pytest.fixture
async def app_token_claims(app_flow, tokens) -> dict[str, Any]:
    """The claims of a live app token: each forgery changes one thing only."""
    return tokens.verify((await _connect(app_flow))["access_token"])


async def test_re_signing_the_claims_properly_is_accepted(browser, settings, app_token_claims) -> None:
    # The control of the forgeries below: the same claims, well signed, are accepted.
    key = load_signing_key(settings)
    token = _signed(key, {"typ": "at+jwt", "kid": key.thumbprint()}, app_token_claims)
    response = await _api(browser, token)
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["kind"] == "APP"


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_a_forged_or_foreign_jwt_is_refused_by_the_api(
    browser, settings, app_token_claims, forgery: str
) -> None:
    token = FORGERIES[forgery](load_signing_key(settings), app_token_claims)
    response = await _api(browser, token)
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_the_services_other_signed_tokens_are_not_access_tokens(
    app, app_flow, browser, database, tokens
) -> None:
    page = await app_flow.authorize("agenda:read")
    await app_flow.login(page, "nadia")
    session_cookie = browser.cookies.get("espace_session")
    assert session_cookie
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    issued = (await app_flow.exchange(code)).json()
    principal = await authenticate(database, tokens, issued["access_token"])
    content_link = parse_qs(urlsplit(app.state.content_links.url(principal, uuid.uuid4())).query)["link"][0]
    export_link = parse_qs(urlsplit(app.state.content_links.export_url(principal, uuid.uuid4())).query)[
        "link"
    ][0]
    for other in (content_link, export_link, session_cookie, issued["refresh_token"], code):
        assert (await _api(browser, other)).status_code == 401
    # Nor is an access token a refresh token.
    swapped = await app_flow.token(grant_type="refresh_token", refresh_token=issued["access_token"])
    assert swapped.json()["error"] == "invalid_grant"
