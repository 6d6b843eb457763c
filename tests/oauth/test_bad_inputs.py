"""Every bad input of the authorization server gets the RFC's answer, and nothing is issued."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from api.db import utcnow
from api.oauth.models import AuthorizationCode
from api.oauth.secrets import digest
from tests.oauth.flow import REDIRECT_URI, Flow, hidden, redirect_query, referenced_app


async def test_an_unknown_client_gets_our_error_page_and_no_redirect(browser) -> None:
    flow = Flow(browser, "no-such-app")
    page = await flow.authorize("agenda:read")
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "Unknown or unreferenced application" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/callback", "http://127.0.0.1:8765/other", "http://localhost:8765/callback", ""],
)
async def test_a_wrong_redirect_uri_is_never_followed(app_flow, redirect_uri: str) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri=redirect_uri)
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_only_the_port_of_a_loopback_redirect_uri_may_vary(app_flow) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri="http://127.0.0.1:51234/callback")
    assert page.status_code == 200  # the login page: RFC 8252 loopback with another port


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "messages:send"}, "invalid_scope"),
        ({"scope": "agenda:read everything"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
    ],
)
async def test_bad_authorization_requests_go_back_with_the_rfc_error(app_flow, overrides, error) -> None:
    response = await app_flow.authorize(overrides.pop("scope", "agenda:read"), **overrides)
    query = redirect_query(response)
    assert query["error"] == [error]
    assert query["state"] == [app_flow.state]
    assert query["iss"] == ["http://127.0.0.1:8000"]
    assert "code" not in query


async def test_login_needs_the_csrf_token_and_the_right_password(app_flow, browser) -> None:
    page = await app_flow.authorize("agenda:read")
    forged = await browser.post(
        "/oauth/login",
        data={"csrf": "forged", "next": hidden(page.text, "next"), "handle": "nadia", "password": "demo"},
    )
    assert forged.status_code == 400
    assert "espace_session" not in forged.cookies
    for handle, password in [("nadia", "wrong"), ("nobody", "demo"), ("nad\x00ia", "demo"), ("", "")]:
        wrong = await app_flow.login(page, handle, password)
        assert wrong.status_code == 400, handle
        assert "Wrong login or password" in wrong.text
    json_body = await browser.post("/oauth/login", json={"handle": "nadia"})
    assert json_body.status_code == 415


async def test_login_never_redirects_outside_the_authorization_endpoint(app_flow, browser) -> None:
    page = await app_flow.authorize("agenda:read")
    response = await browser.post(
        "/oauth/login",
        data={
            "csrf": hidden(page.text, "csrf"),
            "next": "https://evil.example/",
            "handle": "nadia",
            "password": "demo",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/oauth/authorize?")


async def test_consent_needs_the_csrf_token_and_a_space_of_the_user(app_flow, browser, gql) -> None:
    page = await app_flow.authorize("agenda:read")
    page = await browser.get((await app_flow.login(page, "nadia")).headers["location"])
    senior = (await gql("{ patient { id } }", as_="senior"))["data"]["patient"]["id"]
    from api.graphql.ids import decode_id

    not_hers = await app_flow.consent(page, scopes=["agenda:read"], space=str(decode_id(senior)[1]))
    assert not_hers.status_code == 400
    forged = await browser.post(
        "/oauth/authorize",
        data={
            **dict(parse_qs(urlsplit(f"?{''}").query)),
            **{
                k: hidden(page.text, k)
                for k in (
                    "client_id",
                    "redirect_uri",
                    "scope",
                    "state",
                    "code_challenge",
                    "code_challenge_method",
                    "response_type",
                )
            },
            "csrf": "forged",
            "decision": "allow",
            "space": "x",
            "scope_granted": "agenda:read",
        },
    )
    assert forged.status_code == 400
    denied = await app_flow.consent(page, scopes=["agenda:read"], decision="deny")
    assert redirect_query(denied)["error"] == ["access_denied"]
    nothing = await app_flow.consent(page, scopes=[])
    assert redirect_query(nothing)["error"] == ["access_denied"]


async def test_professionals_do_not_connect_apps(app_flow, browser) -> None:
    page = await app_flow.authorize("agenda:read")
    page = await browser.get((await app_flow.login(page, "gp")).headers["location"])
    assert page.status_code == 400
    assert "Only patients connect apps" in page.text


async def test_code_exchange_refusals(app_flow, database) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    missing = await app_flow.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert missing.json()["error"] == "invalid_request"  # no verifier: PKCE downgrade refused
    wrong = await app_flow.exchange(code, verifier="x" * 64)
    assert wrong.json()["error"] == "invalid_grant"
    spent = await app_flow.exchange(code)  # a code tried once is spent
    assert spent.json()["error"] == "invalid_grant"

    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    wrong_uri = await app_flow.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://127.0.0.1:9/x",
        code_verifier=app_flow.verifier,
    )
    assert wrong_uri.json()["error"] == "invalid_grant"

    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    async with database.engine.begin() as connection:
        await connection.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_hash == digest(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await app_flow.exchange(code)).json()["error"] == "invalid_grant"


async def test_a_replayed_code_revokes_what_it_issued(app_flow, browser) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    first = (await app_flow.exchange(code)).json()
    replay = await app_flow.exchange(code)
    assert replay.json()["error"] == "invalid_grant"
    response = await browser.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert response.status_code == 401


async def test_token_endpoint_refusals(app_flow, browser) -> None:
    unknown = await browser.post(
        "/oauth/token", data={"client_id": "nobody", "grant_type": "authorization_code"}
    )
    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    for grant_type in ("password", "implicit", "urn:ietf:params:oauth:grant-type:device_code", ""):
        response = await app_flow.token(grant_type=grant_type)
        assert response.json()["error"] == "unsupported_grant_type", grant_type
    as_json = await browser.post(
        "/oauth/token", json={"client_id": app_flow.client_id, "grant_type": "authorization_code"}
    )
    assert as_json.json()["error"] == "invalid_request"
    secret_for_public = await app_flow.token(
        grant_type="refresh_token", refresh_token="x", client_secret="guess"
    )
    assert secret_for_public.json()["error"] == "invalid_client"
    bogus_refresh = await app_flow.token(grant_type="refresh_token", refresh_token="not-a-token")
    assert bogus_refresh.json()["error"] == "invalid_grant"


async def test_confidential_clients_must_authenticate(browser, gql, database) -> None:
    manifest = await referenced_app(gql, database, scopes=["agenda:read"], client_type="confidential")
    flow = Flow(browser, manifest.client_id)
    response = await flow.token(grant_type="refresh_token", refresh_token="x")
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    basic = await browser.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(manifest.client_id, "wrong"),
    )
    assert basic.json()["error"] == "invalid_client"
    assert basic.headers["www-authenticate"].startswith("Basic")


async def test_metadata_and_jwks(browser) -> None:
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
    from joserfc import jwt
    from joserfc.jwk import KeySet

    metadata = (await browser.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == "http://127.0.0.1:8000"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "implicit" not in metadata["grant_types_supported"]
    checked = AuthorizationServerMetadata({**metadata, "issuer": "https://espace.example"})
    checked.validate_authorization_endpoint()
    checked.validate_token_endpoint()
    checked.validate_jwks_uri()
    checked.validate_code_challenge_methods_supported()
    smart = (await browser.get("/.well-known/smart-configuration")).json()
    assert smart["authorization_endpoint"] == metadata["authorization_endpoint"]
    keys = KeySet.import_key_set((await browser.get("/.well-known/jwks.json")).json())
    assert keys.keys
    del jwt


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:1 evil.example; frame-ancestors evil.example;/callback",  # CSP injection attempt
        "http://127.0.0.1:99999999999999/callback",
        "http://user@127.0.0.1:8765/callback",
        "http://[::1/callback",
        "http://\uff20127.0.0.1/callback",
        "http://127.0.0.1:8765/callback#fragment",
    ],
)
async def test_malformed_loopback_redirect_uris_get_the_error_page(app_flow, redirect_uri: str) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri=redirect_uri)
    assert page.status_code == 400
    assert "location" not in page.headers


async def test_the_consent_page_csp_names_only_the_registered_origin(app_flow, browser) -> None:
    page = await app_flow.authorize("agenda:read", redirect_uri="http://127.0.0.1:40123/callback")
    page = await browser.get((await app_flow.login(page, "nadia")).headers["location"])
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:40123;" in csp
    assert csp.count("frame-ancestors") == 1


@pytest.mark.parametrize("header", [b"Basic \xe9\xe9==", b"Basic !!!", b"Basic bm9jb2xvbg==", b"Basic"])
async def test_malformed_basic_auth_is_an_oauth_error(browser, header: bytes) -> None:
    for endpoint in ("/oauth/token", "/oauth/revoke", "/oauth/introspect"):
        response = await browser.post(
            endpoint,
            content=b"grant_type=refresh_token&refresh_token=x&token=x",
            headers=[(b"content-type", b"application/x-www-form-urlencoded"), (b"authorization", header)],
        )
        assert response.status_code in (400, 401), (endpoint, response.text)
        assert "error" in response.json()


async def test_a_challenge_or_verifier_with_a_trailing_newline_is_refused(app_flow) -> None:
    response = await app_flow.authorize("agenda:read", code_challenge="A" * 128 + "\n")
    assert redirect_query(response)["error"] == ["invalid_request"]
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    refused = await app_flow.exchange(code, verifier=app_flow.verifier + "\n")
    assert refused.json()["error"] == "invalid_request"


async def test_a_failed_exchange_leaves_no_connected_app(app_flow, gql) -> None:
    code = await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])
    assert (await app_flow.exchange(code, verifier="y" * 64)).json()["error"] == "invalid_grant"
    await app_flow.code_for("nadia", "agenda:read", ["agenda:read"])  # consented, never exchanged
    connected = await gql("{ patient { connectedApps { app { clientId } } } }", as_="nadia")
    clients = [
        entry["app"]["clientId"] for entry in connected["data"]["patient"]["connectedApps"] if entry["app"]
    ]
    assert app_flow.client_id not in clients


async def test_review_app_refuses_malformed_client_ids(gql) -> None:
    body = await gql(
        "mutation($input: ReviewAppInput!) { reviewApp(input: $input) { userErrors { field } } }",
        {"input": {"clientId": "bad\x00id", "decision": "START_REVIEW", "comment": "Checked all criteria"}},
        as_="operator",
    )
    assert body["data"]["reviewApp"]["userErrors"] == [{"field": ["clientId"]}]
