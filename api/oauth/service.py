"""The patient's side of the authorization server: connected apps, disconnection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from api.access.policy import Action
from api.access.service import Access, patient_side
from api.db import utcnow
from api.errors import BadUserInput
from api.journal.records import AccessAction
from api.oauth.models import Grant
from api.text import is_client_id


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    grant_id: uuid.UUID
    client_id: str
    scopes: list[str]
    granted_at: datetime
    last_used_at: datetime | None


async def connected_apps(access: Access, patient_id: uuid.UUID) -> list[ConnectedApp]:
    granted = await patient_side(access, patient_id, Action.READ)
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(Grant.id, Grant.client_id, Grant.scopes, Grant.created_at, Grant.last_used_at)
            # A consent whose code was never exchanged connected nothing.
            .where(
                Grant.patient_id == patient_id, Grant.revoked_at.is_(None), Grant.last_used_at.is_not(None)
            )
            .order_by(Grant.created_at.desc())
        )
        apps = [ConnectedApp(*row) for row in rows]
    access.read(granted, "ConnectedApps", patient_id)
    return apps


async def revoke_app(access: Access, patient_id: uuid.UUID, client_id: str) -> int:
    """Disconnect an app: every grant of it for this space, so every token, at once."""
    if not is_client_id(client_id):
        raise BadUserInput("This app is not connected to this space.", field="clientId")
    granted = await patient_side(access, patient_id, Action.UPDATE)
    async with access.database.session() as session:
        connection = await session.connection()
        revoked = await connection.execute(
            update(Grant)
            .where(Grant.patient_id == patient_id, Grant.client_id == client_id, Grant.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        if not revoked.rowcount:
            raise BadUserInput("This app is not connected to this space.", field="clientId")
        await access.write_entry(connection, granted, AccessAction.DELETE, "AppAuthorization", None)
    return revoked.rowcount
