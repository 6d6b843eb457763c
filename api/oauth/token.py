"""/oauth/token: authorization_code (with PKCE) and refresh_token (rotated).
No implicit, no password grant (RFC 9700); client credentials for catalogue
apps never."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.oauth import flows
from api.oauth.clients import authenticate_client, authenticate_software, credentials, find_client
from api.oauth.server import NO_STORE, UnsupportedContentType, form_of, oauth_error, server_of


async def token(request: Request) -> Response:
    server = server_of(request)
    try:
        form = await form_of(request)
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            return await _client_credentials(request, form)
        client = await authenticate_client(server.database, request, form)
        if grant_type == "authorization_code":
            issued = await flows.exchange_code(
                server.database,
                server.tokens,
                client=client,
                code=form.get("code"),
                redirect_uri=form.get("redirect_uri"),
                code_verifier=form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            issued = await flows.refresh(
                server.database, server.tokens, client=client, refresh_token=form.get("refresh_token")
            )
        else:
            raise UnsupportedGrantTypeError(grant_type or "")
    except UnsupportedContentType:
        return oauth_error(InvalidRequestError(description="Send application/x-www-form-urlencoded."))
    except OAuth2Error as error:
        return oauth_error(error)
    return JSONResponse(issued.as_response(), headers=NO_STORE)


async def _client_credentials(request: Request, form: dict[str, str]) -> Response:
    """Only registered professional software (deposit feeds); catalogue apps never."""
    server = server_of(request)
    software = await authenticate_software(server.database, request, form)
    if software is None:
        client_id, _ = credentials(request, form)
        if await find_client(server.database, client_id) is not None:
            raise UnauthorizedClientError(
                description="Catalogue apps act for a patient: use authorization_code."
            )
        raise InvalidClientError(description="Unknown client.")
    body = await flows.client_credentials(
        server.tokens, client_id=software.client_id, scopes=software.scopes, requested=form.get("scope")
    )
    return JSONResponse(body, headers=NO_STORE)
