"""What every endpoint of the authorization server shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from api.db import Database
from api.identity.tokens import AccessTokens
from api.oauth.sessions import Sessions
from api.ratelimits import RateLimits
from api.settings import Settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Pages that must not be framed, and a strict policy: no script at all. Forms
# post to this server only, and (browsers apply form-action to the redirect
# that follows) may be sent on to the client's registered redirect URI.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{targets}; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {"X-Frame-Options": "DENY", **NO_STORE}


@dataclass(frozen=True, slots=True)
class OAuthServer:
    settings: Settings
    database: Database
    tokens: AccessTokens
    sessions: Sessions
    rate_limits: RateLimits

    @property
    def issuer(self) -> str:
        return self.settings.token_issuer

    def page(
        self,
        request: Request,
        template: str,
        status_code: int = 200,
        *,
        form_targets: str = "",
        **context: Any,
    ) -> Response:
        context.setdefault("lang", "fr")
        context.setdefault("title", "Espace Santé")
        csp = CSP.format(targets=f" {form_targets}" if form_targets else "")
        headers = {**PAGE_HEADERS, "Content-Security-Policy": csp}
        return TEMPLATES.TemplateResponse(
            request, template, context, status_code=status_code, headers=headers
        )


def server_of(request: Request) -> OAuthServer:
    return request.app.state.oauth


def oauth_error(error: OAuth2Error, status_code: int | None = None) -> JSONResponse:
    """An RFC 6749 §5.2 error body."""
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    headers = dict(NO_STORE)
    # invalid_client is 401 (RFC 6749 §5.2), with the scheme the client may use.
    status = status_code or (401 if error.error == "invalid_client" else error.status_code or 400)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="espace-sante"'
    return JSONResponse(body, status_code=status, headers=headers)


async def form_of(request: Request) -> dict[str, str]:
    """The url-encoded form of a POST; other content types are refused."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise UnsupportedContentType
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


class UnsupportedContentType(Exception):
    """The endpoint takes application/x-www-form-urlencoded only."""
