"""The agenda as an iCalendar feed (RFC 5545) behind a private, revocable link.

The link carries a random secret; only its digest is stored, so the table
never holds a usable link. Making a new link revokes the old one. A calendar
application fetches it without a token: what it shows is the patient's own
agenda, prevention items as to-dos (VTODO, due on their day) and appointments
as events (VEVENT).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from icalendar import Calendar, Event, Todo
from sqlalchemy import delete, insert, select

from api.access.policy import Action
from api.access.service import Access, patient_side
from api.agenda import service
from api.agenda.models import AgendaFeed, ItemKind, ItemStatus
from api.db import Database, utcnow
from api.directory import queries as directory
from api.errors import EspaceError
from api.identity.service import ACTING_FOR_CLAIM, principal_for
from api.journal.records import AccessAction

FEED_CLIENT = "agenda-feed"
_TODO_STATUS = {
    ItemStatus.DONE.value: "COMPLETED",
    ItemStatus.DUE.value: "NEEDS-ACTION",
    ItemStatus.UPCOMING.value: "NEEDS-ACTION",
    ItemStatus.SNOOZED.value: "NEEDS-ACTION",
}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def new_feed(access: Access, patient_id: uuid.UUID, *, base_url: str) -> str:
    """A new private link to the space's calendar; the previous one stops working."""
    granted = await patient_side(access, patient_id, Action.UPDATE)
    secret = secrets.token_urlsafe(32)
    async with access.database.session() as session:
        connection = await session.connection()
        await connection.execute(delete(AgendaFeed).where(AgendaFeed.patient_id == patient_id))
        await connection.execute(
            insert(AgendaFeed).values(
                patient_id=patient_id,
                secret_sha256=_digest(secret),
                created_by_account_id=access.principal.account_id,
                created_at=utcnow(),
            )
        )
        await access.write_entry(connection, granted, AccessAction.UPDATE, "AgendaFeed", patient_id)
    return f"{base_url.rstrip('/')}/agenda/{secret}.ics"


async def revoke_feed(access: Access, patient_id: uuid.UUID) -> bool:
    """True when a link was revoked."""
    granted = await patient_side(access, patient_id, Action.DELETE)
    async with access.database.session() as session:
        connection = await session.connection()
        removed = await connection.execute(delete(AgendaFeed).where(AgendaFeed.patient_id == patient_id))
        await access.write_entry(connection, granted, AccessAction.DELETE, "AgendaFeed", patient_id)
    return bool(removed.rowcount)


async def open_feed(database: Database, secret: str) -> tuple[Access, uuid.UUID] | None:
    """The space of a link and the access of whoever made it, asked again now:
    None (404) when the link is unknown, or its maker may no longer act for the
    space (a representation ended, the space closed). A fetch on behalf of a
    representative is journaled like their own read."""
    if not 20 <= len(secret) <= 100:
        return None
    async with database.read() as connection:
        row = (
            await connection.execute(
                select(AgendaFeed.patient_id, AgendaFeed.created_by_account_id).where(
                    AgendaFeed.secret_sha256 == _digest(secret)
                )
            )
        ).first()
        account = await directory.account_by_id(connection, row.created_by_account_id) if row else None
    if row is None or account is None:
        return None
    claims = {"client_id": FEED_CLIENT, "jti": "agenda-feed", "scope": "agenda:read"}
    claims[ACTING_FOR_CLAIM] = str(row.patient_id)
    access = Access(principal_for(account, claims), database)
    try:
        granted = await patient_side(access, row.patient_id, Action.READ)
    except EspaceError:
        return None
    access.read(granted, "AgendaFeed", row.patient_id)
    return access, row.patient_id


def calendar(items: list[service.ItemRecord], *, now: datetime) -> bytes:
    """The items as one VCALENDAR."""
    feed = Calendar()
    feed.add("prodid", "-//Espace Santé//Agenda//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", "Mon agenda santé")
    for item in items:
        if item.starts_at is not None:
            component = Event()
            component.add("dtstart", item.starts_at)
            if item.ends_at is not None:  # RFC 5545: an end, if any, comes after the start
                component.add("dtend", item.ends_at)
            if item.location:
                component.add("location", item.location)
        else:
            component = Todo()
            component.add("due", item.snoozed_until or item.due_date or item.day)
            component.add("status", _TODO_STATUS.get(item.status, "NEEDS-ACTION"))
            if item.done_on is not None:
                component.add(
                    "completed", datetime.combine(item.done_on, datetime.min.time(), tzinfo=now.tzinfo)
                )
        component.add("uid", f"{item.id}@espace-sante")
        component.add("dtstamp", now)
        component.add("last-modified", item.updated_at)
        component.add("summary", item.title)
        if item.description:
            component.add("description", item.description)
        component.add("categories", [ItemKind(item.kind).value])
        feed.add_component(component)
    return feed.to_ical()
