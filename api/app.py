"""The Starlette application: routes, middleware, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from joserfc.jwk import ECKey
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute

from api import __version__
from api.agenda.routes import RedactFeedSecrets, agenda_feed
from api.contents.service import contents_for
from api.db import Database
from api.dossier.download import download
from api.dossier.links import ContentLinks
from api.graphql.schema import build_schema
from api.graphql.view import GraphQLView
from api.hooks import start_hook_relay
from api.identity.keys import load_signing_key
from api.identity.tokens import AccessTokens
from api.indicators.page import indicators_page
from api.interop.routes import fhir_export
from api.messaging.bus import bus_for
from api.messaging.download import download_file
from api.metrics import metrics_route
from api.middleware import (
    BodySizeLimitMiddleware,
    RateLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
)
from api.migrations import is_at_head
from api.oauth.routes import ROUTES as OAUTH_ROUTES
from api.oauth.server import OAuthServer
from api.oauth.sessions import Sessions
from api.plugins import PluginsFailed, active
from api.ratelimits import RateLimits
from api.settings import Settings

logger = logging.getLogger("api")


def access_tokens(settings: Settings, key: ECKey | None = None) -> AccessTokens:
    return AccessTokens(
        key or load_signing_key(settings), issuer=settings.token_issuer, audience=settings.token_audience
    )


def _redact_access_logs() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactFeedSecrets) for existing in access.filters):
        access.addFilter(RedactFeedSecrets())


def _cors(settings: Settings) -> list[Middleware]:
    """Browsers on the allowed origins may call the API; no list, no CORS headers
    (same origin only). Credentials travel as bearer tokens, never cookies."""
    if not settings.cors_allow_list:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "GraphQL-Preflight", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            allow_credentials=False,
            max_age=600,
        )
    ]


def _middleware(settings: Settings, rate_limits: RateLimits) -> list[Middleware]:
    """Outermost first: the request id, headers, CORS, rate limits per address, body size."""
    return [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware, production=settings.is_production),
        *_cors(settings),
        Middleware(RateLimitMiddleware, limits=rate_limits),
        Middleware(
            BodySizeLimitMiddleware,
            max_bytes=settings.request_max_bytes,
            # The document, plus room for the operation and the multipart framing.
            upload_max_bytes=settings.upload_max_bytes + settings.request_max_bytes,
        ),
    ]


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """The whole service for `settings`; pass `database` to share an engine (tests)."""
    settings = settings or Settings()
    _redact_access_logs()
    failures = active().failures
    if failures and settings.plugins_strict:
        raise PluginsFailed(failures)
    owns_database = database is None
    database = database or Database(settings)
    key = load_signing_key(settings)
    tokens = access_tokens(settings, key)
    contents = contents_for(settings, database)
    content_links = ContentLinks(key, base_url=settings.token_issuer)
    bus = bus_for(database)
    rate_limits = RateLimits(settings)
    view = GraphQLView(
        build_schema(settings),
        settings=settings,
        database=database,
        tokens=tokens,
        contents=contents,
        content_links=content_links,
        bus=bus,
        rate_limits=rate_limits,
    )
    oauth = OAuthServer(settings, database, tokens, Sessions(key, secure=settings.is_production), rate_limits)

    async def healthz(request: Request) -> Response:
        """The process answers."""
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> Response:
        """The database answers and its schema is at the latest migration."""
        try:
            async with database.read() as connection:
                await connection.execute(text("SELECT 1"))
            at_head = await is_at_head(database)
        except Exception:  # any database failure means "not ready"
            logger.warning("readiness check failed", exc_info=True)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if not at_head:
            return JSONResponse({"status": "unavailable", "database": "migrations pending"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "migrations": "at head"})

    async def home(request: Request) -> Response:
        return RedirectResponse("/graphql", status_code=303)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        relay = start_hook_relay(settings, database, contents)
        yield
        if relay is not None:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
        await bus.close()
        await rate_limits.close()
        if owns_database:
            await database.dispose()

    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *OAUTH_ROUTES,
        Route("/documents/{document_id}/content", download, methods=["GET"]),
        Route("/messages/files/{file_id}/content", download_file, methods=["GET"]),
        Route("/patients/{patient_id}/fhir-export", fhir_export, methods=["GET"]),
        Route("/agenda/{secret}.ics", agenda_feed, methods=["GET"]),
        Route("/indicators", indicators_page, methods=["GET"]),
        Route("/metrics", metrics_route(settings, database), methods=["GET"]),
    ]
    if not settings.is_production:
        routes.append(Route("/", home, methods=["GET"]))
    app = Starlette(routes=routes, middleware=_middleware(settings, rate_limits), lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.oauth = oauth
    app.state.contents = contents
    app.state.content_links = content_links
    app.state.bus = bus
    app.state.rate_limits = rate_limits
    return app


def create_app_from_environment() -> Starlette:
    """The uvicorn factory of `espace serve`: settings from ESPACE_* variables."""
    return create_app(Settings())
