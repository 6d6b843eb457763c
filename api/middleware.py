"""Pure ASGI middleware, outermost first: request id, security headers, body size."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ErrorCode
from api.graphql.errors import error_body
from api.logs import REQUEST_ID
from api.ratelimits import RateLimits, Refused

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-ID when it is sane),
    kept in `scope["state"]["request_id"]` and echoed in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)  # the logs of this request carry it

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """Headers every response carries; in production also HSTS (over TLS) and a
    Content-Security-Policy that allows nothing, for responses that set none of
    their own (the HTML pages set theirs)."""

    HEADERS = (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    )
    PRODUCTION_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    HSTS = "max-age=63072000; includeSubDomains"  # two years

    def __init__(self, app: ASGIApp, *, production: bool = False) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # Behind a proxy, uvicorn takes the scheme from X-Forwarded-Proto (--forwarded-allow-ips).
        over_tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
                if self.production:
                    headers.setdefault("Content-Security-Policy", self.PRODUCTION_CSP)
                    if over_tls:
                        headers.setdefault("Strict-Transport-Security", self.HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimitMiddleware:
    """Requests per client IP, before anything of the request is read: on /graphql
    (every method), and POSTs to the authorization server (/oauth/...), which have
    their own, lower limit. Over it: 429 RATE_LIMITED with Retry-After."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        oauth = path.startswith("/oauth/") and scope.get("method") == "POST"
        if oauth or path == "/graphql":
            client = scope.get("client")
            try:
                await self.limits.request_from(client[0] if client else "unknown", oauth=oauth)
            except Refused as refusal:
                retry = [(b"retry-after", str(refusal.retry_after).encode())]
                await _send_error(send, 429, refusal.message, ErrorCode.RATE_LIMITED, retry)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413, from Content-Length when given
    and while streaming otherwise, so an oversized body is never buffered."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        # Documents travel as multipart uploads: their own, larger limit.
        limit = (
            self.upload_max_bytes
            if headers.get(b"content-type", b"").startswith(b"multipart/")
            else self.max_bytes
        )
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                await _send_error(send, 400, "Invalid Content-Length header.", ErrorCode.BAD_REQUEST)
                return
            if too_large:
                await self._refuse(send, limit)
                return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit} bytes."
        await _send_error(send, 413, message, ErrorCode.BAD_REQUEST)


async def _send_error(
    send: Send, status: int, message: str, code: ErrorCode, headers: list[Any] | None = None
) -> None:
    body = json.dumps(error_body(message, code)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
