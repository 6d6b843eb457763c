"""The routes of the authorization server."""

from __future__ import annotations

from starlette.routing import Route

from api.oauth.authorize import authorize, login
from api.oauth.introspect import introspect
from api.oauth.metadata import jwks, oauth_metadata, smart_configuration
from api.oauth.revoke import revoke
from api.oauth.token import token

ROUTES = [
    Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
    Route("/oauth/login", login, methods=["POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/oauth/introspect", introspect, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", oauth_metadata, methods=["GET"]),
    Route("/.well-known/smart-configuration", smart_configuration, methods=["GET"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
]
