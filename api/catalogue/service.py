"""The catalogue's operations: syncing manifests, the vetting workflow, listing.

The workflow (DOMAIN.md): SUBMITTED -> UNDER_REVIEW -> REFERENCED <-> SUSPENDED,
and WITHDRAWN from anywhere. Only REFERENCED apps are listed and connectable.
A referenced app whose manifest asks for new scopes keeps only the vetted ones
until an operator approves the rest.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.access.policy import may_review_apps
from api.access.service import Access
from api.catalogue.manifest import Manifest
from api.catalogue.models import AppReview, AppStatus, CatalogueApp
from api.catalogue.records import AppRecord, ReviewRecord
from api.db import Database, utcnow
from api.errors import BadUserInput, Forbidden, NotFound
from api.journal import outbox
from api.oauth import queries as oauth_queries
from api.text import clean_text, is_client_id

SYNC_ACTOR = "catalogue sync"
COMMENT_MIN_LENGTH = 5


class Decision(StrEnum):
    START_REVIEW = "START_REVIEW"
    REFERENCE = "REFERENCE"
    APPROVE_SCOPES = "APPROVE_SCOPES"
    SUSPEND = "SUSPEND"
    REINSTATE = "REINSTATE"
    WITHDRAW = "WITHDRAW"


# decision -> (statuses it applies to, status it leads to)
TRANSITIONS: dict[Decision, tuple[frozenset[AppStatus], AppStatus]] = {
    Decision.START_REVIEW: (frozenset({AppStatus.SUBMITTED}), AppStatus.UNDER_REVIEW),
    Decision.REFERENCE: (frozenset({AppStatus.UNDER_REVIEW}), AppStatus.REFERENCED),
    Decision.APPROVE_SCOPES: (frozenset({AppStatus.REFERENCED}), AppStatus.REFERENCED),
    Decision.SUSPEND: (frozenset({AppStatus.REFERENCED}), AppStatus.SUSPENDED),
    Decision.REINSTATE: (frozenset({AppStatus.SUSPENDED}), AppStatus.REFERENCED),
    Decision.WITHDRAW: (
        frozenset({AppStatus.SUBMITTED, AppStatus.UNDER_REVIEW, AppStatus.REFERENCED, AppStatus.SUSPENDED}),
        AppStatus.WITHDRAWN,
    ),
}

APP_COLUMNS = (
    CatalogueApp.id,
    CatalogueApp.client_id,
    CatalogueApp.name,
    CatalogueApp.publisher_name,
    CatalogueApp.publisher_siren,
    CatalogueApp.category,
    CatalogueApp.description_fr,
    CatalogueApp.description_en,
    CatalogueApp.homepage,
    CatalogueApp.privacy_policy_url,
    CatalogueApp.client_type,
    CatalogueApp.redirect_uris,
    CatalogueApp.requested_scopes,
    CatalogueApp.vetted_scopes,
    CatalogueApp.status,
    CatalogueApp.referenced_at,
)


# --- sync -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    scopes_to_review: dict[str, list[str]]


def _sha256(manifest: Manifest) -> str:
    canonical = json.dumps(manifest.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _apply(app: CatalogueApp, manifest: Manifest) -> None:
    app.name = manifest.name
    app.publisher_name = manifest.publisher.name
    app.publisher_siren = manifest.publisher.siren
    app.category = manifest.category.value
    app.description_fr = manifest.description.fr
    app.description_en = manifest.description.en
    app.homepage = str(manifest.homepage)
    app.privacy_policy_url = str(manifest.privacy_policy_url)
    app.client_type = manifest.client_type
    app.redirect_uris = list(manifest.redirect_uris)
    app.contact = manifest.contact
    app.stores_health_data = manifest.stores_health_data
    app.hosting_certification = manifest.hosting_certification
    app.standards = list(manifest.standards)
    app.requested_scopes = [entry.model_dump() for entry in manifest.scopes]
    # A scope the manifest no longer asks for is no longer granted.
    app.vetted_scopes = sorted(set(app.vetted_scopes or []) & set(manifest.scope_names))
    app.manifest_sha256 = _sha256(manifest)
    app.updated_at = utcnow()


async def sync_manifests(database: Database, manifests: Sequence[Manifest]) -> SyncReport:
    """Upsert every manifest, in one transaction; new apps start SUBMITTED."""
    report = SyncReport([], [], [], {})
    async with database.session() as session:
        for manifest in manifests:
            app = await session.scalar(
                select(CatalogueApp).where(CatalogueApp.client_id == manifest.client_id)
            )
            if app is None:
                app = CatalogueApp(client_id=manifest.client_id, status=AppStatus.SUBMITTED, vetted_scopes=[])
                _apply(app, manifest)
                session.add(app)
                await session.flush()
                _review(
                    session,
                    app,
                    actor=None,
                    decision="SUBMITTED",
                    from_status=None,
                    to_status=AppStatus.SUBMITTED,
                    scopes=manifest.scope_names,
                    comment="Manifest received.",
                )
                report.created.append(manifest.client_id)
                continue
            if app.manifest_sha256 == _sha256(manifest):
                report.unchanged.append(manifest.client_id)
                continue
            before = {entry["scope"] for entry in app.requested_scopes}
            _apply(app, manifest)
            added = sorted(set(manifest.scope_names) - before - set(app.vetted_scopes))
            if added and app.status == AppStatus.REFERENCED:
                _review(
                    session,
                    app,
                    actor=None,
                    decision="SCOPES_ADDED",
                    from_status=app.status,
                    to_status=app.status,
                    scopes=added,
                    comment="The manifest asks for new scopes: back to review for them; "
                    "the app keeps its vetted scopes meanwhile.",
                )
                report.scopes_to_review[manifest.client_id] = added
            report.updated.append(manifest.client_id)
    return report


def _review(
    session: AsyncSession,
    app: CatalogueApp,
    *,
    actor: tuple[uuid.UUID, str] | None,
    decision: str,
    from_status: str | None,
    to_status: str,
    scopes: list[str],
    comment: str,
) -> None:
    session.add(
        AppReview(
            app_id=app.id,
            at=utcnow(),
            actor_account_id=actor[0] if actor else None,
            actor_name=actor[1] if actor else SYNC_ACTOR,
            decision=decision,
            from_status=from_status,
            to_status=to_status,
            scopes=scopes,
            comment=comment,
        )
    )


# --- the vetting workflow ---------------------------------------------------------


async def review_app(access: Access, client_id: str, decision: Decision, comment: str) -> AppRecord:
    """Move an app through the workflow; operators only, every step recorded."""
    principal = access.principal
    if not may_review_apps(principal):
        raise Forbidden("Only operators review apps.")
    comment = clean_text(comment, field="comment", min_length=COMMENT_MIN_LENGTH, what="The comment")
    if not is_client_id(client_id):
        raise BadUserInput("No app has this client id.", field="clientId")
    allowed_from, to_status = TRANSITIONS[decision]
    async with access.database.session() as session:
        app = await session.scalar(
            select(CatalogueApp).where(CatalogueApp.client_id == client_id).with_for_update()
        )
        if app is None:
            raise BadUserInput("No app has this client id.", field="clientId")
        from_status = AppStatus(app.status)
        if from_status not in allowed_from:
            raise BadUserInput(
                f"An app {from_status.value} cannot take the decision {decision.value}.", field="decision"
            )
        scopes: list[str] = []
        if decision in (Decision.REFERENCE, Decision.APPROVE_SCOPES):
            scopes = sorted({entry["scope"] for entry in app.requested_scopes})
            if decision is Decision.APPROVE_SCOPES and set(scopes) <= set(app.vetted_scopes):
                raise BadUserInput("No scope awaits review.", field="decision")
            app.vetted_scopes = scopes
        if decision is Decision.REFERENCE:
            app.referenced_at = utcnow()
        app.status = to_status.value
        app.updated_at = utcnow()
        _review(
            session,
            app,
            actor=(principal.account_id, principal.display_name),
            decision=decision.value,
            from_status=from_status,
            to_status=to_status,
            scopes=scopes,
            comment=comment,
        )
        if decision is Decision.SUSPEND:
            # Tokens stop working at the next request (identity checks the status);
            # each patient who connected it is told.
            connection = await session.connection()
            spaces = list(await connection.scalars(oauth_queries.spaces_connected_to(app.client_id)))
            for patient_id in [None, *spaces]:
                await outbox.emit(
                    connection,
                    outbox.EventKind.APP_SUSPENDED,
                    patient_id,
                    {"clientId": app.client_id, "name": app.name, "reason": comment},
                )
        await session.flush()
        record_id = app.id
    async with access.database.read() as connection:
        found = await _apps_by(connection, CatalogueApp.id == record_id)
    return found[0]


async def history(access: Access, app_id: uuid.UUID) -> list[ReviewRecord]:
    if not may_review_apps(access.principal):
        raise Forbidden("Only operators read the vetting history.")
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(
                AppReview.id,
                AppReview.at,
                AppReview.actor_name,
                AppReview.decision,
                AppReview.from_status,
                AppReview.to_status,
                AppReview.scopes,
                AppReview.comment,
            )
            .where(AppReview.app_id == app_id)
            .order_by(AppReview.at, AppReview.id)
        )
        return [ReviewRecord(*row) for row in rows]


# --- reading ----------------------------------------------------------------------


async def _apps_by(connection: AsyncConnection, *criteria: object) -> list[AppRecord]:
    rows = await connection.execute(select(*APP_COLUMNS).where(*criteria).order_by(CatalogueApp.name))  # type: ignore[arg-type]
    return [AppRecord(*row) for row in rows]


def _listing(status: AppStatus | None, category: str | None, search: str | None) -> Select:  # type: ignore[type-arg]
    query = select(*APP_COLUMNS)
    if status is not None:
        query = query.where(CatalogueApp.status == status.value)
    if category:
        query = query.where(CatalogueApp.category == category)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(CatalogueApp.name).like(pattern),
                func.lower(CatalogueApp.publisher_name).like(pattern),
                func.lower(CatalogueApp.description_fr).like(pattern),
                func.lower(CatalogueApp.description_en).like(pattern),
            )
        )
    return query


async def list_apps(
    database: Database,
    *,
    access: Access | None,
    status: AppStatus | None,
    category: str | None,
    search: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AppRecord], int]:
    """The public catalogue (referenced apps); operators may list any status."""
    if status is not AppStatus.REFERENCED and (access is None or not may_review_apps(access.principal)):
        raise Forbidden("Only operators list apps that are not referenced.")
    if search is not None:
        search = clean_text(search, field="search", max_length=100, what="The search")
    query = _listing(status, category, search)
    async with database.read() as connection:
        rows = await connection.execute(
            query.order_by(CatalogueApp.name, CatalogueApp.id).limit(limit).offset(offset)
        )
        total = await connection.scalar(select(func.count()).select_from(query.subquery()))
    return [AppRecord(*row) for row in rows], int(total or 0)


async def app_by_client_id(database: Database, client_id: str, *, access: Access | None) -> AppRecord | None:
    """A referenced app (operators: any app); None otherwise, as if it did not exist."""
    if not is_client_id(client_id):
        return None
    async with database.read() as connection:
        found = await _apps_by(connection, CatalogueApp.client_id == client_id)
    return _visible(found[0] if found else None, access)


async def apps_by_ids(
    database: Database, ids: Sequence[uuid.UUID], *, access: Access | None
) -> dict[uuid.UUID, AppRecord]:
    async with database.read() as connection:
        found = await _apps_by(connection, CatalogueApp.id.in_(ids))
    return {app.id: app for app in found if _visible(app, access) is not None}


def _visible(app: AppRecord | None, access: Access | None) -> AppRecord | None:
    if app is None:
        return None
    if app.status == AppStatus.REFERENCED or (access is not None and may_review_apps(access.principal)):
        return app
    return None


async def require_app(database: Database, client_id: str, *, access: Access | None) -> AppRecord:
    app = await app_by_client_id(database, client_id, access=access)
    if app is None:
        raise NotFound("No app of the catalogue has this client id.")
    return app
