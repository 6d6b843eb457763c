"""Journal entries as the service writes and reads them, and their hash."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

GENESIS_HASH = "0" * 64


class AccessAction(StrEnum):
    READ = "READ"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    DOWNLOAD = "DOWNLOAD"
    EMERGENCY_OPEN = "EMERGENCY_OPEN"
    EXPORT = "EXPORT"
    IMPORT = "IMPORT"
    # An attempt the policy refused, on a space that exists.
    DENIED = "DENIED"


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One action on a space by someone other than its patient, before it is chained."""

    patient_id: uuid.UUID
    at: datetime
    actor_kind: str
    actor_account_id: uuid.UUID
    actor_name: str
    client_id: str
    action: AccessAction
    object_type: str
    object_id: str | None
    emergency: bool = False
    reason: str | None = None
    professional_id: uuid.UUID | None = None
    profession: str | None = None
    organization_name: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored: the record, its place in the chain and its hashes."""

    id: uuid.UUID
    seq: int
    record: JournalRecord
    prev_hash: str
    hash: str


def entry_hash(entry_id: uuid.UUID, seq: int, record: JournalRecord, prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of every stored field but the hash itself."""
    content = {
        "id": str(entry_id),
        "patient_id": str(record.patient_id),
        "seq": seq,
        "at": record.at.isoformat(timespec="microseconds"),
        "actor_kind": record.actor_kind,
        "actor_account_id": str(record.actor_account_id),
        "actor_name": record.actor_name,
        "professional_id": str(record.professional_id) if record.professional_id else None,
        "profession": record.profession,
        "organization_name": record.organization_name,
        "client_id": record.client_id,
        "action": str(record.action),
        "object_type": record.object_type,
        "object_id": record.object_id,
        "emergency": record.emergency,
        "reason": record.reason,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
