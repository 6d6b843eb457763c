"""The demo's professional software: the laboratory's deposit feed."""

from __future__ import annotations

from sqlalchemy import select

from api.db import Database
from api.directory.models import Organization
from api.identity.scopes import Scope
from api.oauth.admin import register_software

LAB_FEED = "biosud-lab-feed"
LAB_FINESS = "750036527"


async def register_demo_software(database: Database) -> dict[str, str]:
    """Register the lab's feed (client credentials); returns client id -> new secret."""
    async with database.read() as connection:
        organization_id = await connection.scalar(
            select(Organization.id).where(Organization.finess == LAB_FINESS)
        )
    if organization_id is None:
        raise RuntimeError("load the personas before the demo software")
    secret = await register_software(
        database,
        client_id=LAB_FEED,
        name="BioSud LIMS (deposit feed)",
        organization_id=organization_id,
        scopes=[Scope.DOCUMENTS_WRITE.value],
    )
    return {LAB_FEED: secret}
