"""The demo catalogue: every shipped manifest synced and referenced by the operator persona."""

from __future__ import annotations

from collections.abc import Sequence

from api.access.service import Access
from api.catalogue import service
from api.catalogue.manifest import Manifest
from api.catalogue.models import AppStatus
from api.catalogue.service import Decision
from api.db import Database
from api.identity.dev_tokens import find_account
from api.identity.service import DEVELOPMENT_CLIENT_ID, principal_for

DEMO_OPERATOR = "operator"
COMMENT = "Demo data: referenced when the demo was loaded."


async def reference_demo_apps(database: Database, manifests: Sequence[Manifest]) -> list[str]:
    """Sync the manifests, then take every app to REFERENCED with all its scopes vetted."""
    await service.sync_manifests(database, manifests)
    account = await find_account(database, DEMO_OPERATOR)
    if account is None:
        raise RuntimeError("load the personas before the catalogue")
    principal = principal_for(account, {"client_id": DEVELOPMENT_CLIENT_ID, "jti": "demo", "scope": ""})
    access = Access(principal, database)
    referenced = []
    for manifest in manifests:
        app = await service.app_by_client_id(database, manifest.client_id, access=access)
        if app is None:
            continue
        steps = {
            AppStatus.SUBMITTED: [Decision.START_REVIEW, Decision.REFERENCE],
            AppStatus.UNDER_REVIEW: [Decision.REFERENCE],
            AppStatus.REFERENCED: [Decision.APPROVE_SCOPES] if app.pending_scopes else [],
        }.get(AppStatus(app.status), [])
        for decision in steps:
            await service.review_app(access, manifest.client_id, decision, COMMENT)
        referenced.append(manifest.client_id)
    return referenced
