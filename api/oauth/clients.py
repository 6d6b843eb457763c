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
        asked = urlsplit(redirect_uri)
        if asked.scheme != "http" or asked.hostname not in ("127.0.0.1", "::1"):
            return False
        for registered in self.app.redirect_uris:
            known = urlsplit(registered)
            if (
                known.scheme == "http"
                and known.hostname == asked.hostname
                and known.path == asked.path
                and known.query == asked.query
                and not asked.fragment
            ):
                return True
        return False

    def allowed_scopes(self, requested: set[str]) -> set[str]:
        """What the app may ask for: vetted by operators and still in its manifest."""
        return requested & set(self.app.vetted_scopes)


async def find_client(database: Database, client_id: str | None) -> Client | None:
    """A referenced app: suspended, withdrawn or unknown apps get nothing."""
    if not client_id or not is_client_id(client_id):
        return None
    app = await catalogue.app_by_client_id(database, client_id, access=None)
    if app is None or app.status != AppStatus.REFERENCED:
        return None
    return Client(app)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
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
