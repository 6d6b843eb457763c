"""Discovery: RFC 8414 metadata, SMART configuration, and the JWKS of the tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.identity.scopes import all_scopes
from api.oauth.server import OAuthServer, server_of


def authorization_server_metadata(server: OAuthServer) -> dict[str, Any]:
    issuer = server.issuer.rstrip("/")
    return {
        "issuer": server.issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "scopes_supported": sorted(all_scopes()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{issuer}/graphql",
    }


async def oauth_metadata(request: Request) -> Response:
    return JSONResponse(authorization_server_metadata(server_of(request)))


async def smart_configuration(request: Request) -> Response:
    metadata = authorization_server_metadata(server_of(request))
    smart = {
        key: metadata[key]
        for key in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
            "jwks_uri",
            "scopes_supported",
            "response_types_supported",
            "grant_types_supported",
            "code_challenge_methods_supported",
            "token_endpoint_auth_methods_supported",
        )
    }
    smart["capabilities"] = [
        "launch-standalone",
        "client-public",
        "client-confidential-symmetric",
        "permission-patient",
    ]
    return JSONResponse(smart)


async def jwks(request: Request) -> Response:
    return JSONResponse(server_of(request).tokens.public_jwks())
