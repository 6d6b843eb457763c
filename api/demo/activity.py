"""A year of synthetic activity, so that /indicators shows believable curves.

Synthetic spaces only (family name "Synthétique", INS from department 99),
made from a fixed seed with more openings and more deposits month after
month; the personas' own data is left as it is. Rows are written directly in
bulk (it must take seconds): documents point to no content (nobody opens a
synthetic space), message bodies are random bytes. Idempotent: once the
synthetic spaces exist, nothing is added; the indicators are then refreshed
for the last 365 days, but for the days already published (over 90 days old
and aggregated), which are left as they are.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from api.access.models import CareRelationship, CareRole
from api.agenda.models import AgendaItem, ItemKind, ItemStatus
from api.db import Database, new_id
from api.directory.identifiers import ins_key
from api.directory.models import Account, Organization, OrganizationKind, Patient, Professional
from api.dossier.models import Document
from api.indicators.aggregate import RefreshReport, protected_days, refresh, yesterday
from api.journal import service as journal
from api.journal.records import AccessAction, JournalRecord
from api.messaging.models import Message, Thread
from api.oauth.models import Grant
from api.profile.models import EntryKind, ProfileEntry

SPACES = 400
FAMILY_NAME = "Synthétique"
SEED = 2026
APPS = ("glyco-compagnon", "journal-serenite", "pilulier-malin", "vaccins-a-jour")
# (type code, category, sector) of what each sector deposits.
DEPOSITS = {
    OrganizationKind.LABORATORY: [("11502-2", "LAB_RESULT")],
    OrganizationKind.PRIVATE_PRACTICE: [("11488-4", "REPORT"), ("57833-6", "PRESCRIPTION")],
    OrganizationKind.PHARMACY: [("60593-1", "PRESCRIPTION"), ("11369-6", "VACCINATION")],
    OrganizationKind.ESTABLISHMENT: [("11490-0", "DISCHARGE_LETTER"), ("18748-4", "IMAGING")],
    OrganizationKind.MEDICO_SOCIAL: [("18776-5", "REPORT")],
}
SECTOR_WEIGHTS = {
    OrganizationKind.LABORATORY: 5,
    OrganizationKind.PRIVATE_PRACTICE: 4,
    OrganizationKind.PHARMACY: 3,
    OrganizationKind.ESTABLISHMENT: 2,
    OrganizationKind.MEDICO_SOCIAL: 1,
}
DELAYS = {"LAB_RESULT": (0, 3), "DISCHARGE_LETTER": (0, 12), "IMAGING": (1, 8)}


def _instant(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 19), rng.randint(0, 59)), tzinfo=UTC)


def _ins(rng: random.Random, serial: int) -> str:
    born = f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}"
    nir = f"{rng.choice('12')}{born}99{serial // 1000:03d}{serial % 1000:03d}"
    return f"{nir}{ins_key(nir):02d}"


async def _senders(database: Database) -> dict[str, list[tuple[uuid.UUID, uuid.UUID | None]]]:
    """(organization, a professional of it) per sector; a medico-social structure is added if none."""
    async with database.session() as session:
        if not await session.scalar(
            select(func.count()).where(Organization.kind == OrganizationKind.MEDICO_SOCIAL)
        ):
            session.add(Organization(name="EHPAD Les Glycines (démo)", kind=OrganizationKind.MEDICO_SOCIAL))
    async with database.read() as connection:
        # The first professional of each organization, chosen here: PostgreSQL has no min(uuid).
        rows = await connection.execute(
            select(Organization.kind, Organization.id, Professional.id).outerjoin(
                Professional, Professional.organization_id == Organization.id
            )
        )
        first: dict[tuple[str, uuid.UUID], uuid.UUID | None] = {}
        for kind, organization_id, professional_id in rows:
            known = first.get((kind, organization_id))
            if (kind, organization_id) not in first or (
                professional_id is not None and (known is None or str(professional_id) < str(known))
            ):
                first[(kind, organization_id)] = professional_id
        senders: dict[str, list[tuple[uuid.UUID, uuid.UUID | None]]] = {}
        for (kind, organization_id), professional_id in sorted(first.items(), key=lambda item: str(item[0])):
            senders.setdefault(kind, []).append((organization_id, professional_id))
    return senders


async def create_activity(database: Database, today: date | None = None) -> int:  # noqa: PLR0912 - one seeded generator, read top to bottom
    """The synthetic spaces and a year of their activity; 0 if they are already there."""
    async with database.read() as connection:
        if await connection.scalar(select(func.count()).where(Patient.family_name == FAMILY_NAME)):
            return 0
        gp = await connection.scalar(select(Account.professional_id).where(Account.handle == "gp"))
    today = today or yesterday()
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    senders = await _senders(database)
    rows: dict[str, list[dict[str, object]]] = {
        name: []
        for name in (
            "patients",
            "accounts",
            "documents",
            "threads",
            "messages",
            "grants",
            "entries",
            "care",
            "agenda",
        )
    }
    consultations: list[JournalRecord] = []
    sectors = [kind for kind in SECTOR_WEIGHTS if kind in senders]
    weights = [SECTOR_WEIGHTS[kind] for kind in sectors]
    for serial in range(SPACES):
        # Openings accelerate through the year (growth), as deposits do below.
        opened_day = today - timedelta(days=int(364 * (1 - rng.random() ** 0.7)))
        patient_id, account_id = new_id(), new_id()
        rows["patients"].append(
            {
                "id": patient_id,
                "ins": _ins(rng, serial),
                "given_name": f"Personne {serial}",
                "family_name": FAMILY_NAME,
                "birth_date": date(rng.randint(1940, 2015), rng.randint(1, 12), 1),
                "sex": rng.choice("FM"),
                "status": "OPEN",
                "opened_at": _instant(opened_day, rng),
                "created_at": _instant(opened_day, rng),
            }
        )
        rows["accounts"].append(
            {"id": account_id, "handle": f"synthetique-{serial}", "patient_id": patient_id}
        )
        days_open = (today - opened_day).days
        for _ in range(rng.randint(0, 3 + days_open // 20)):
            day = opened_day + timedelta(days=rng.randint(0, days_open))
            sector = rng.choices(sectors, weights)[0]
            organization_id, author_id = rng.choice(senders[sector])
            type_code, category = rng.choice(DEPOSITS[OrganizationKind(sector)])
            low, high = DELAYS.get(category, (0, 20))
            rows["documents"].append(
                {
                    "patient_id": patient_id,
                    "id": new_id(),
                    "type_code": type_code,
                    "category": category,
                    "title": f"{category.title()} (synthétique)",
                    "deposited_at": _instant(day, rng),
                    "service_date": day - timedelta(days=rng.randint(low, high)),
                    "author_professional_id": author_id,
                    "organization_id": organization_id,
                    "depositor_kind": "PROFESSIONAL",
                    "depositor_account_id": uuid.UUID(int=0),
                    "client_id": "demo-activity",
                    "mime_type": "application/pdf",
                    "file_name": "synthetique.pdf",
                    "size_bytes": 0,
                    "sha256": "0" * 64,
                    "blob_key": "synthetic",
                }
            )
            if author_id and rng.random() < 0.6:
                consultations.append(
                    JournalRecord(
                        patient_id=patient_id,
                        at=_instant(day, rng) + timedelta(hours=1),
                        actor_kind="PROFESSIONAL",
                        actor_account_id=uuid.UUID(int=0),
                        actor_name="Professionnel (synthétique)",
                        client_id="demo-activity",
                        action=AccessAction.READ,
                        object_type="Patient",
                        object_id=str(patient_id),
                        professional_id=author_id,
                        profession="PHYSICIAN",
                    )
                )
        if gp and rng.random() < 0.5:
            thread_id, day = new_id(), opened_day + timedelta(days=rng.randint(0, days_open))
            rows["threads"].append(
                {
                    "patient_id": patient_id,
                    "id": thread_id,
                    "subject": "Suivi",
                    "started_by_professional_id": gp,
                    "last_message_at": _instant(day, rng),
                }
            )
            for number in range(rng.randint(1, 4)):
                side = "PROFESSIONAL" if number % 2 == 0 else "PATIENT"
                sent = _instant(day + timedelta(days=number), rng)
                rows["messages"].append(
                    {
                        "thread_id": thread_id,
                        "id": new_id(),
                        "patient_id": patient_id,
                        "sent_at": sent,
                        "sender_kind": side,
                        "sender_account_id": account_id if side == "PATIENT" else uuid.UUID(int=0),
                        "sender_professional_id": gp if side == "PROFESSIONAL" else None,
                        "sender_name": "Synthétique",
                        "body_sealed": rng.randbytes(32),
                        "read_at": sent + timedelta(hours=5),
                    }
                )
        if rng.random() < 0.25:
            day = opened_day + timedelta(days=rng.randint(0, days_open))
            rows["grants"].append(
                {
                    "patient_id": patient_id,
                    "id": new_id(),
                    "account_id": account_id,
                    "client_id": rng.choice(APPS),
                    "scopes": ["agenda:read"],
                    "created_at": _instant(day, rng),
                }
            )
        for kind, share in ((EntryKind.VACCINATION, 0.6), (EntryKind.ALLERGY, 0.4)):
            if rng.random() < share:
                day = opened_day + timedelta(days=rng.randint(0, days_open))
                rows["entries"].append(
                    {
                        "patient_id": patient_id,
                        "id": new_id(),
                        "kind": kind,
                        "label": kind.title(),
                        "entered_by_kind": "PATIENT",
                        "entered_by_name": "Synthétique",
                        "created_at": _instant(day, rng),
                    }
                )
        if gp and rng.random() < 0.7:
            rows["care"].append(
                {
                    "patient_id": patient_id,
                    "professional_id": gp,
                    "role": CareRole.MEDECIN_TRAITANT,
                    "since": opened_day,
                    "declared_by_account_id": account_id,
                    "created_at": _instant(opened_day, rng),
                }
            )
        for number in range(rng.randint(0, 2)):
            reminded = opened_day + timedelta(days=rng.randint(0, days_open))
            done = reminded + timedelta(days=rng.randint(1, 120)) if rng.random() < 0.45 else None
            status = ItemStatus.DONE if done and done <= today else ItemStatus.DUE
            rows["agenda"].append(
                {
                    "patient_id": patient_id,
                    "id": new_id(),
                    "key": f"synthetic-{number}",
                    "kind": ItemKind.SCREENING,
                    "rule_code": "colorectal-screening",  # a prevention item, as the indicators count
                    "title": "Dépistage (synthétique)",
                    "day": reminded,
                    "due_date": reminded,
                    "status": status,
                    "done_on": done if status == ItemStatus.DONE else None,
                    "reminded_at": _instant(reminded, rng),
                    "updated_at": _instant(reminded, rng),
                }
            )
    async with database.session() as session:
        for model, name in (
            (Patient, "patients"),
            (Account, "accounts"),
            (Document, "documents"),
            (Thread, "threads"),
            (Message, "messages"),
            (Grant, "grants"),
            (ProfileEntry, "entries"),
            (CareRelationship, "care"),
            (AgendaItem, "agenda"),
        ):
            if rows[name]:
                await session.execute(insert(model), rows[name])
        await journal.append(await session.connection(), sorted(consultations, key=lambda record: record.at))
    return SPACES


async def refresh_year(database: Database) -> RefreshReport:
    """Aggregate the last 365 days but those already published (see `aggregate`), in runs of
    consecutive days."""
    last = yesterday()
    first = last - timedelta(days=364)
    protected = await protected_days(database, first, last)
    runs: list[list[date]] = []
    for offset in range(365):
        day = first + timedelta(days=offset)
        if day in protected:
            continue
        if runs and runs[-1][-1] == day - timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    days = cells = 0
    for run in runs:
        done = await refresh(database, run[0], run[-1], run_by="espace demo")
        days, cells = days + done.days, cells + done.cells
    return RefreshReport(first, last, days, cells)
