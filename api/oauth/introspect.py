"""/oauth/introspect (RFC 7662): a client learns about its own tokens only;
a dead, foreign or unknown token is just `{"active": false}`."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, OAuth2Error
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.errors import Unauthenticated
from api.identity.service import authenticate
from api.oauth.clients import authenticate_client
from api.oauth.server import NO_STORE, UnsupportedContentType, form_of, oauth_error, server_of


async def introspect(request: Request) -> Response:
    server = server_of(request)
    try:
        form = await form_of(request)
        client = await authenticate_client(server.database, request, form)
        if client.is_public:
            # RFC 7662 §2.1: introspection is for clients that can authenticate.
            raise InvalidClientError(description="Introspection needs client authentication.")
    except UnsupportedContentType:
        return oauth_error(InvalidRequestError(description="Send application/x-www-form-urlencoded."))
    except OAuth2Error as error:
        return oauth_error(error)
    inactive = JSONResponse({"active": False}, headers=NO_STORE)
    token = form.get("token")
    if not token:
        return inactive
    try:
        principal = await authenticate(server.database, server.tokens, token)
        claims = server.tokens.verify(token)
    except Unauthenticated:
        return inactive
    if claims.get("client_id") != client.client_id:
        return inactive
    return JSONResponse(
        {
            "active": True,
            "scope": " ".join(sorted(principal.scopes)),
            "client_id": claims["client_id"],
            "sub": claims["sub"],
            "token_type": "Bearer",
            "exp": claims["exp"],
            "iat": claims["iat"],
            "iss": claims["iss"],
            "aud": claims["aud"],
        },
        headers=NO_STORE,
    )
