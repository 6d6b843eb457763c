"""Statements of the authorization server that other areas compose into theirs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, select

from api.catalogue.models import CatalogueApp
from api.directory.queries import organization_name_of
from api.oauth.models import Grant, SoftwareClient


def grant_columns(grant_id: uuid.UUID | BindParameter[uuid.UUID]) -> list[ColumnElement[Any]]:
    """Scalar subqueries describing a live grant and its app, to add to the
    authentication statement (one round trip per request, revocation and
    suspension included)."""
    live = (Grant.id == grant_id) & Grant.revoked_at.is_(None)
    return [
        select(Grant.patient_id).where(live).scalar_subquery().label("grant_patient_id"),
        select(Grant.client_id).where(live).scalar_subquery().label("grant_client_id"),
        select(Grant.scopes).where(live).scalar_subquery().label("grant_scopes"),
        select(CatalogueApp.status)
        .where(CatalogueApp.client_id == select(Grant.client_id).where(live).scalar_subquery())
        .scalar_subquery()
        .label("app_status"),
        select(CatalogueApp.vetted_scopes)
        .where(CatalogueApp.client_id == select(Grant.client_id).where(live).scalar_subquery())
        .scalar_subquery()
        .label("app_vetted_scopes"),
        select(CatalogueApp.name)
        .where(CatalogueApp.client_id == select(Grant.client_id).where(live).scalar_subquery())
        .scalar_subquery()
        .label("app_name"),
    ]


def software_client_query(client_id: str) -> Select[Any]:
    """An enabled professional software client, with its organization's name."""
    return select(
        SoftwareClient.client_id,
        SoftwareClient.name,
        SoftwareClient.scopes,
        organization_name_of(SoftwareClient.organization_id).label("organization_name"),
        SoftwareClient.organization_id,
    ).where(SoftwareClient.client_id == client_id, SoftwareClient.disabled_at.is_(None))


def spaces_connected_to(client_id: str) -> Select[Any]:
    """The spaces an app holds a live grant for (to tell their patients)."""
    return (
        select(Grant.patient_id)
        .where(Grant.client_id == client_id, Grant.revoked_at.is_(None), Grant.last_used_at.is_not(None))
        .distinct()
    )
