"""A small controlled dataset whose figures are computed by hand in the tests.

Month M = 2025-03 (Paris). Twelve spaces opened on 2025-03-02; three laboratories'
and a single pharmacy's deposits; journal reads; messages; prevention reminders
(and an appointment's, which is not one); grants; key data.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from api.access.models import CareRelationship
from api.agenda.models import AgendaItem
from api.db import Database, new_id
from api.directory.identifiers import ins_key
from api.directory.models import Account, Organization, Patient, Professional
from api.dossier.models import Document
from api.journal import service as journal
from api.journal.records import AccessAction, JournalRecord
from api.messaging.models import Message, Thread
from api.oauth.models import Grant
from api.profile.models import ProfileEntry

DAY = date(2025, 3, 10)
ZERO = uuid.UUID(int=0)


def at(day: date, hour: int = 10) -> datetime:
    """An instant of a Paris day (UTC+1 in March): 10:00 UTC is 11:00 in Paris."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _document(
    patient_id,
    organization_id,
    *,
    day,
    category="LAB_RESULT",
    type_code="11502-2",
    service_days=0,
    depositor="PROFESSIONAL",
    hour=10,
    replaces=None,
):
    return {
        "patient_id": patient_id,
        "id": new_id(),
        "type_code": type_code,
        "category": category,
        "title": "t",
        "service_date": day - timedelta(days=service_days),
        "deposited_at": at(day, hour),
        "organization_id": organization_id,
        "depositor_kind": depositor,
        "depositor_account_id": ZERO,
        "client_id": "test",
        "mime_type": "application/pdf",
        "file_name": "f.pdf",
        "size_bytes": 1,
        "sha256": "0" * 64,
        "blob_key": "none",
        "replaces_id": replaces,
    }


async def build(database: Database) -> dict[str, object]:
    labs, pharmacy = [new_id() for _ in range(3)], new_id()
    gp = new_id()
    patients = [new_id() for _ in range(12)]
    accounts = [new_id() for _ in range(12)]
    rows: dict[type, list[dict[str, object]]] = {
        model: []
        for model in (
            Organization,
            Professional,
            Patient,
            Account,
            Document,
            Thread,
            Message,
            Grant,
            ProfileEntry,
            CareRelationship,
            AgendaItem,
        )
    }
    rows[Organization] += [
        *({"id": lab, "name": f"Lab {number}", "kind": "LABORATORY"} for number, lab in enumerate(labs)),
        {"id": pharmacy, "name": "Ph", "kind": "PHARMACY"},
    ]
    rows[Professional].append({"id": gp, "given_name": "G", "family_name": "P", "profession": "physician"})
    for number, (patient_id, account_id) in enumerate(zip(patients, accounts, strict=True)):
        nir = f"2800175999{number:03d}"
        rows[Patient].append(
            {
                "id": patient_id,
                "ins": f"{nir}{ins_key(nir):02d}",
                "given_name": "T",
                "family_name": "T",
                "birth_date": date(1980, 1, 1),
                "sex": "F",
                "opened_at": at(date(2025, 3, 2)),
                "created_at": at(date(2025, 3, 2)),
            }
        )
        rows[Account].append({"id": account_id, "handle": f"ind-{number}", "patient_id": patient_id})
    # 11 lab results on DAY: patient 0 gets three of the same type (2 duplicates),
    # patient 1 two (1 duplicate); delays of 0 to 10 days; from three laboratories, none dominant.
    lab_owners = [patients[0]] * 3 + [patients[1]] * 2 + patients[2:8]
    for index, owner in enumerate(lab_owners):
        rows[Document].append(
            _document(owner, labs[index % 3], day=DAY, service_days=index, hour=8 + index % 10)
        )
    # A new version is not a duplicate (and is a deposit).
    rows[Document].append(_document(patients[2], labs[0], day=DAY, replaces=new_id(), hour=21))
    # 4 pharmacy deposits on DAY (a small cell), 1 by the patient (another small cell).
    for owner in patients[:4]:
        rows[Document].append(
            _document(owner, pharmacy, day=DAY, category="PRESCRIPTION", type_code="60593-1")
        )
    rows[Document].append(_document(patients[5], None, day=DAY, category="OTHER", depositor="PATIENT"))
    # 23:30 UTC on DAY is 00:30 in Paris on the next day: it belongs to DAY + 1.
    rows[Document].append(_document(patients[6], labs[1], day=DAY, type_code="2345-7", hour=23))
    thread = new_id()
    rows[Thread].append(
        {"patient_id": patients[0], "id": thread, "subject": "s", "started_by_professional_id": gp}
    )
    for number in range(3):
        rows[Message].append(
            {
                "thread_id": thread,
                "id": new_id(),
                "patient_id": patients[0],
                "sent_at": at(DAY),
                "sender_kind": "PATIENT" if number else "PROFESSIONAL",
                "sender_account_id": accounts[0],
                "sender_name": "x",
                "body_sealed": b"x",
            }
        )
    # Grants: patients 0-4 connect on DAY; patient 4's is revoked on DAY + 2.
    for number in range(5):
        rows[Grant].append(
            {
                "patient_id": patients[number],
                "id": new_id(),
                "account_id": accounts[number],
                "client_id": "app",
                "scopes": [],
                "created_at": at(DAY),
                "revoked_at": at(DAY + timedelta(days=2)) if number == 4 else None,
            }
        )
    # Key data: médecin traitant for 0-9, vaccination for 0-5 (entered by a professional), allergy for 0-2.
    for number in range(10):
        rows[CareRelationship].append(
            {
                "patient_id": patients[number],
                "professional_id": gp,
                "role": "MEDECIN_TRAITANT",
                "since": DAY,
                "declared_by_account_id": ZERO,
                "created_at": at(DAY),
            }
        )
    for kind, count in (("VACCINATION", 6), ("ALLERGY", 3)):
        for number in range(count):
            rows[ProfileEntry].append(
                {
                    "patient_id": patients[number],
                    "id": new_id(),
                    "kind": kind,
                    "label": kind,
                    "entered_by_kind": "PROFESSIONAL",
                    "entered_by_name": "x",
                    "created_at": at(DAY),
                }
            )
    # Reminders: 3 sent on DAY; done on DAY + 5 (followed), done 100 days later (not followed), not done.
    for number, done in enumerate((DAY + timedelta(days=5), DAY + timedelta(days=100), None)):
        rows[AgendaItem].append(
            {
                "patient_id": patients[number],
                "id": new_id(),
                "key": f"k{number}",
                "kind": "SCREENING",
                "rule_code": "colorectal-screening",
                "title": "x",
                "day": DAY,
                "status": "DONE" if done else "DUE",
                "done_on": done,
                "reminded_at": at(DAY),
            }
        )
    # The patient's own appointment, reminded and done: not a prevention reminder.
    rows[AgendaItem].append(
        {
            "patient_id": patients[0],
            "id": new_id(),
            "key": "own:appointment",
            "kind": "APPOINTMENT",
            "rule_code": None,
            "title": "x",
            "day": DAY,
            "status": "DONE",
            "done_on": DAY + timedelta(days=1),
            "reminded_at": at(DAY),
        }
    )
    async with database.session() as session:
        for model, values in rows.items():
            if values:
                await session.execute(insert(model), values)
        # Professional reads on DAY: gp reads patients 0 and 1 (twice each: one consultation each);
        # a CREATE is not a consultation.
        records = [
            JournalRecord(
                patient_id=patient,
                at=at(DAY, hour),
                actor_kind="PROFESSIONAL",
                actor_account_id=ZERO,
                actor_name="gp",
                client_id="c",
                action=action,
                object_type="Patient",
                object_id=None,
                professional_id=gp,
            )
            for patient in patients[:2]
            for hour, action in (
                (9, AccessAction.READ),
                (11, AccessAction.DOWNLOAD),
                (12, AccessAction.CREATE),
            )
        ]
        await journal.append(await session.connection(), records)
    return {"patients": patients, "labs": labs}
