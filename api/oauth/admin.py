"""Issuing secrets: to confidential catalogue apps (operators) and to
registered professional software. Each secret is shown once, stored hashed."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select

from api.access.policy import may_review_apps
from api.access.service import Access
from api.catalogue import service as catalogue
from api.db import Database, utcnow
from api.errors import BadUserInput, Forbidden
from api.identity.scopes import all_scopes
from api.oauth.models import ClientSecret, SoftwareClient
from api.oauth.secrets import digest, new_secret
from api.text import is_client_id


async def issue_app_secret(access: Access, client_id: str) -> str:
    """A new secret for a confidential app; the previous one stops working."""
    if not may_review_apps(access.principal):
        raise Forbidden("Only operators issue client secrets.")
    app = await catalogue.app_by_client_id(access.database, client_id, access=access)
    if app is None:
        raise BadUserInput("No app has this client id.", field="clientId")
    if app.client_type != "confidential":
        raise BadUserInput("A public client has no secret.", field="clientId")
    secret = new_secret()
    async with access.database.session() as session:
        await session.execute(delete(ClientSecret).where(ClientSecret.client_id == client_id))
        await session.execute(
            insert(ClientSecret).values(
                client_id=client_id, secret_hash=digest(secret), last_four=secret[-4:], created_at=utcnow()
            )
        )
    return secret


async def register_software(
    database: Database, *, client_id: str, name: str, organization_id: uuid.UUID, scopes: list[str]
) -> str:
    """Register (or re-key) professional software; returns its new secret."""
    if not is_client_id(client_id):
        raise BadUserInput("A client id is 3 to 63 lowercase letters, digits and dashes.", field="clientId")
    unknown = set(scopes) - all_scopes()
    if unknown:
        raise BadUserInput(f"Unknown scopes: {' '.join(sorted(unknown))}.", field="scopes")
    secret = new_secret()
    async with database.session() as session:
        existing = await session.get(SoftwareClient, client_id)
        if existing is None:
            session.add(
                SoftwareClient(
                    client_id=client_id,
                    name=name,
                    organization_id=organization_id,
                    secret_hash=digest(secret),
                    scopes=sorted(scopes),
                    created_at=utcnow(),
                )
            )
        else:
            existing.name, existing.organization_id, existing.scopes = name, organization_id, sorted(scopes)
            existing.secret_hash, existing.disabled_at = digest(secret), None
    return secret


async def software_exists(database: Database, client_id: str) -> bool:
    async with database.read() as connection:
        return (
            await connection.scalar(
                select(SoftwareClient.client_id).where(SoftwareClient.client_id == client_id)
            )
            is not None
        )
