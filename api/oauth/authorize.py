"""/oauth/authorize and /oauth/login: the authorization code flow's pages.

Order of checks (RFC 6749 §4.1.2.1, RFC 9700): an unknown client or a
redirect URI that is not registered shows an error page and never redirects;
every later problem is sent back to the client's registered redirect URI.
The pages need no JavaScript; every form carries a CSRF token.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636.challenge import CODE_CHALLENGE_PATTERN
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.access.service import Access, openable_spaces
from api.directory import queries as directory_queries
from api.directory.loaders import PatientByIdLoader
from api.directory.service import read_patients
from api.identity.dev_tokens import find_account
from api.identity.scopes import scope_label
from api.identity.service import principal_for
from api.oauth import flows
from api.oauth.clients import Client, find_client
from api.oauth.passwords import verify_password
from api.oauth.server import OAuthServer, UnsupportedContentType, form_of, server_of
from api.ratelimits import Refused

AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
HANDLE = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")
LOGIN_FAILED = "Identifiant ou mot de passe incorrect. Wrong login or password."
TOO_MANY_FAILURES = (
    "Trop de tentatives échouées : réessayez dans quelques minutes. "
    "Too many failed attempts: try again in a few minutes."
)


class Refusal(Exception):
    """A problem shown on our own page: the client cannot be trusted with a redirect."""


class Redirected(Exception):
    """A problem sent back to the client, whose redirect URI is registered."""

    def __init__(
        self, client: Client, redirect_uri: str, state: str | None, error: str, description: str
    ) -> None:
        super().__init__(description)
        self.client, self.redirect_uri, self.state = client, redirect_uri, state
        self.error, self.description = error, description


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str
    params: dict[str, str]


async def _validate(server: OAuthServer, params: dict[str, str]) -> AuthorizationRequest:
    client = await find_client(server.database, params.get("client_id"))
    if client is None:
        raise Refusal("Application inconnue ou non référencée. Unknown or unreferenced application.")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not client.allows_redirect_uri(redirect_uri):
        raise Refusal("Adresse de retour non enregistrée. The redirect URI is not registered for this app.")
    state = params.get("state")

    def refuse(error: str, description: str) -> Redirected:
        return Redirected(client, redirect_uri, state, error, description)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    challenge = params.get("code_challenge", "")
    if not challenge:
        raise refuse("invalid_request", "PKCE is required: send a code_challenge (S256).")
    if params.get("code_challenge_method") != "S256":
        raise refuse("invalid_request", "Only code_challenge_method=S256 is accepted.")
    if not CODE_CHALLENGE_PATTERN.fullmatch(challenge):
        raise refuse("invalid_request", "The code_challenge is malformed (43 to 128 URL-safe characters).")
    requested = set((params.get("scope") or "").split())
    if not requested:
        raise refuse("invalid_scope", "Ask for at least one scope.")
    refused = requested - client.allowed_scopes(requested)
    if refused:
        raise refuse("invalid_scope", f"Not allowed for this app: {' '.join(sorted(refused))}.")
    return AuthorizationRequest(
        client=client,
        redirect_uri=redirect_uri,
        scopes=sorted(requested),
        state=state,
        code_challenge=challenge,
        params={key: params[key] for key in AUTHORIZE_PARAMS if params.get(key)},
    )


def _back_to_client(server: OAuthServer, redirect_uri: str, state: str | None, **values: str) -> Response:
    query = {**values, "iss": server.issuer}  # RFC 9207: the client checks who answered
    if state:
        query["state"] = state
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=303)


async def authorize(request: Request) -> Response:
    server = server_of(request)
    if request.method == "POST":
        try:
            params = await form_of(request)
        except UnsupportedContentType:
            return server.page(request, "error.html", 415, message="Formulaire invalide. Invalid form.")
    else:
        params = dict(request.query_params)
    try:
        auth = await _validate(server, params)
        account_id = server.sessions.account_id(request)
        if account_id is None:
            next_url = f"/oauth/authorize?{urlencode(auth.params)}"
            return _login_page(request, server, next_url=next_url, app_name=auth.client.app.name)
        if request.method == "POST":
            return await _decide(request, server, auth, account_id, params)
        return await _consent_page(request, server, auth, account_id)
    except Refusal as refusal:
        return server.page(request, "error.html", 400, message=str(refusal))
    except Redirected as problem:
        return _back_to_client(
            server,
            problem.redirect_uri,
            problem.state,
            error=problem.error,
            error_description=problem.description,
        )


def _with_csrf(
    request: Request,
    server: OAuthServer,
    template: str,
    status: int,
    *,
    form_targets: str = "",
    **context: Any,
) -> Response:
    browser, is_new = server.sessions.browser(request)
    response = server.page(
        request,
        template,
        status,
        form_targets=form_targets,
        csrf=server.sessions.csrf_token(browser),
        **context,
    )
    if is_new:
        server.sessions.remember_browser(response, browser)
    return response


def _login_page(
    request: Request, server: OAuthServer, *, next_url: str, app_name: str | None, error: str | None = None
) -> Response:
    return _with_csrf(
        request,
        server,
        "login.html",
        400 if error else 200,
        next=next_url,
        app_name=app_name,
        error=error,
        title="Connexion",
        development=not server.settings.is_production,
    )


async def login(request: Request) -> Response:
    server = server_of(request)
    try:
        form = await form_of(request)
    except UnsupportedContentType:
        return server.page(request, "error.html", 415, message="Formulaire invalide. Invalid form.")
    next_url = form.get("next", "")
    if not next_url.startswith("/oauth/authorize?"):
        next_url = "/oauth/authorize?"  # never an open redirect
    if not server.sessions.check_csrf(request, form.get("csrf")):
        return _login_page(
            request,
            server,
            next_url=next_url,
            app_name=None,
            error="Session expirée, recommencez. Session expired, try again.",
        )
    handle = form.get("handle", "").strip()
    ip = request.client.host if request.client else "unknown"
    try:
        # Guessing passwords is slowed per account and per address, before any is checked.
        await server.rate_limits.check_login(handle, ip)
    except Refused as refusal:
        page = _login_page(request, server, next_url=next_url, app_name=None, error=TOO_MANY_FAILURES)
        page.status_code = 429
        page.headers["Retry-After"] = str(refusal.retry_after)
        return page
    account = await find_account(server.database, handle) if HANDLE.match(handle) else None
    stored = await _password_hash(server, account.id if account else None)
    if not verify_password(form.get("password", ""), stored) or account is None:
        await server.rate_limits.login_failed(handle, ip)
        return _login_page(request, server, next_url=next_url, app_name=None, error=LOGIN_FAILED)
    response = RedirectResponse(next_url, status_code=303)
    server.sessions.log_in(response, account.id)
    return response


async def _password_hash(server: OAuthServer, account_id: uuid.UUID | None) -> str | None:
    if account_id is None:
        return None
    async with server.database.read() as connection:
        return await directory_queries.password_hash(connection, account_id)


async def _spaces(server: OAuthServer, account_id: uuid.UUID) -> tuple[Access, list[dict[str, str]]]:
    """The spaces the logged-in person may let an app act for: own, children, delegations."""
    account = await find_account(server.database, str(account_id))
    if account is None or account.patient_id is None:
        raise Refusal("Seuls les patients connectent des applications. Only patients connect apps.")
    principal = principal_for(
        account, {"client_id": "espace-authorization-server", "jti": "consent", "scope": ""}
    )
    access = Access(principal, server.database)
    ids = await openable_spaces(access)
    records = await read_patients(access, PatientByIdLoader(server.database), ids)
    return access, [{"id": str(record.id), "name": record.display_name} for record in records]


async def _consent_page(
    request: Request, server: OAuthServer, auth: AuthorizationRequest, account_id: uuid.UUID
) -> Response:
    access, spaces = await _spaces(server, account_id)
    await access.flush()
    scopes = [
        {
            "scope": scope,
            "label_fr": scope_label(scope).label_fr,
            "label_en": scope_label(scope).label_en,
            "description_fr": scope_label(scope).description_fr,
            "description_en": scope_label(scope).description_en,
            "justification": auth.client.app.justification(scope),
        }
        for scope in auth.scopes
    ]
    return _with_csrf(
        request,
        server,
        "consent.html",
        200,
        form_targets=auth.client.redirect_origin(auth.redirect_uri),
        app=auth.client.app,
        scopes=scopes,
        spaces=spaces,
        params=auth.params,
        user_name=access.principal.display_name,
        title=f"Autoriser {auth.client.app.name}",
    )


async def _decide(
    request: Request,
    server: OAuthServer,
    auth: AuthorizationRequest,
    account_id: uuid.UUID,
    form: dict[str, str],
) -> Response:
    if not server.sessions.check_csrf(request, form.get("csrf")):
        raise Refusal("Session expirée, recommencez. Session expired, start again.")
    if form.get("decision") != "allow":
        return _back_to_client(
            server,
            auth.redirect_uri,
            auth.state,
            error="access_denied",
            error_description="The user refused.",
        )
    access, spaces = await _spaces(server, account_id)
    await access.flush()
    space = form.get("space", "")
    if space not in {entry["id"] for entry in spaces}:
        raise Refusal("Espace non autorisé. You may not connect an app to this space.")
    raw = await request.form()
    granted = sorted(set(raw.getlist("scope_granted")) & set(auth.scopes))
    if not granted:
        return _back_to_client(
            server,
            auth.redirect_uri,
            auth.state,
            error="access_denied",
            error_description="No scope was granted.",
        )
    code = await flows.consent(
        server.database,
        client=auth.client,
        account_id=account_id,
        patient_id=uuid.UUID(space),
        scopes=granted,
        redirect_uri=auth.redirect_uri,
        code_challenge=auth.code_challenge,
    )
    return _back_to_client(server, auth.redirect_uri, auth.state, code=code)
