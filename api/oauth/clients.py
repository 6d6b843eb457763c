"""The clients of the authorization server: the referenced apps of the catalogue."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from authlib.oauth2.rfc6749.errors import InvalidClientError
from sqlalchemy import select
from starlette.requests import Request

from api.catalogue import service as catalogue
from api.catalogue.models import AppStatus
from api.catalogue.records import AppRecord
from api.db import Database
from api.identity.scopes import available
from api.oauth.models import ClientSecret, SoftwareClient
from api.oauth.secrets import matches
from api.text import is_client_id


@dataclass(frozen=True, slots=True)
class Client:
    app: AppRecord

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def is_public(self) -> bool:
        return self.app.client_type == "public"

    def allows_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match; for a loopback URI only the port may differ (RFC 8252, RFC 9700)."""
        if redirect_uri in self.app.redirect_uris:
            return True
        loopback = _loopback_parts(redirect_uri)
        if loopback is None:
            return False
        host, _, path, query = loopback
        for registered in self.app.redirect_uris:
            known = _loopback_parts(registered)
            if known is not None and (known[0], known[2], known[3]) == (host, path, query):
                return True
        return False

    def redirect_origin(self, redirect_uri: str) -> str:
        """The origin a consent form may continue to, rebuilt from parsed parts only
        (never the raw string: it goes into a Content-Security-Policy)."""
        loopback = _loopback_parts(redirect_uri)
        if loopback is not None:
            host, port, _, _ = loopback
            return f"http://{'[::1]' if host == '::1' else host}:{port}"
        parts = urlsplit(redirect_uri)
        return f"https://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    def allowed_scopes(self, requested: set[str]) -> set[str]:
        """What the app may ask for: vetted by operators and still in its manifest."""
        return requested & set(available(self.app.vetted_scopes))


async def find_client(database: Database, client_id: str | None) -> Client | None:
    """A referenced app: suspended, withdrawn or unknown apps get nothing."""
    if not client_id or not is_client_id(client_id):
        return None
    app = await catalogue.app_by_client_id(database, client_id, access=None)
    if app is None or app.status != AppStatus.REFERENCED:
        return None
    return Client(app)


def _loopback_parts(uri: str) -> tuple[str, int, str, str] | None:
    """(host, port, path, query) of a well-formed http loopback URI, else None."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1") or parts.fragment:
        return None
    if port is None or parts.username or parts.password:
        return None
    host = parts.hostname
    expected = f"[{host}]:{port}" if host == "::1" else f"{host}:{port}"
    if parts.netloc != expected:
        return None  # anything but host:port between // and the path
    return host, port, parts.path, parts.query


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if separator else None


def credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """client_secret_basic, else client_secret_post (or a public client's bare id)."""
    basic = _basic_credentials(request)
    return basic if basic else (form.get("client_id"), form.get("client_secret"))


@dataclass(frozen=True, slots=True)
class SoftwareClientRecord:
    client_id: str
    scopes: list[str]


async def authenticate_software(
    database: Database, request: Request, form: dict[str, str]
) -> SoftwareClientRecord | None:
    """Professional software authenticating with its secret; None if the id is not one."""
    client_id, secret = credentials(request, form)
    if not client_id or not is_client_id(client_id):
        return None
    async with database.read() as connection:
        row = (
            await connection.execute(
                select(SoftwareClient.secret_hash, SoftwareClient.scopes).where(
                    SoftwareClient.client_id == client_id, SoftwareClient.disabled_at.is_(None)
                )
            )
        ).first()
    if row is None:
        return None
    if not secret or not matches(secret, row.secret_hash):
        raise InvalidClientError(description="Client authentication failed.")
    return SoftwareClientRecord(client_id, list(row.scopes))


async def authenticate_client(database: Database, request: Request, form: dict[str, str]) -> Client:
    """The client of a token-endpoint request: public clients name themselves,
    confidential ones authenticate with their secret (client_secret_basic or _post)."""
    client_id, secret = credentials(request, form)
    client = await find_client(database, client_id)
    if client is None:
        raise InvalidClientError(description="Unknown or unreferenced client.")
    if client.is_public:
        if secret:
            raise InvalidClientError(description="A public client has no secret.")
        return client
    async with database.read() as connection:
        stored = await connection.scalar(
            select(ClientSecret.secret_hash).where(ClientSecret.client_id == client_id)
        )
    if not secret or stored is None or not matches(secret, stored):
        raise InvalidClientError(description="Client authentication failed.")
    return client
