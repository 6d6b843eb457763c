"""/oauth/revoke (RFC 7009): 200 whatever the token; the client must authenticate."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from starlette.requests import Request
from starlette.responses import Response

from api.oauth import flows
from api.oauth.clients import authenticate_client
from api.oauth.server import NO_STORE, UnsupportedContentType, form_of, oauth_error, server_of


async def revoke(request: Request) -> Response:
    server = server_of(request)
    try:
        form = await form_of(request)
        client = await authenticate_client(server.database, request, form)
        await flows.revoke(server.database, server.tokens, client=client, token=form.get("token"))
    except UnsupportedContentType:
        return oauth_error(InvalidRequestError(description="Send application/x-www-form-urlencoded."))
    except OAuth2Error as error:
        return oauth_error(error)
    return Response(status_code=200, headers=NO_STORE)
