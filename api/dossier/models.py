"""The documents of the dossier. Contents live in the content store; a row
points to its blob, written before the row."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow
from api.dossier.records import DocumentStatus


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_patient_deposited", "patient_id", "deposited_at", "id"),
        # A search looks in one space: the space first (btree_gin), then the words.
        Index("ix_documents_search_vector", "patient_id", "search_vector", postgresql_using="gin"),
        # The release job looks only at documents still hidden from their patient.
        Index(
            "ix_documents_hidden_pending",
            "deposited_at",
            postgresql_where=text("hidden_from_patient"),
            sqlite_where=text("hidden_from_patient"),
        ),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, unique=True)
    type_code: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    service_date: Mapped[date | None] = mapped_column(Date)
    deposited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_professional_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    depositor_kind: Mapped[str] = mapped_column(String(16))
    depositor_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    client_id: Mapped[str] = mapped_column(String(100))
    mime_type: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default=DocumentStatus.CURRENT)
    # For a document hidden from the patient: when the patient was told the dossier changed.
    hidden_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The version this one replaces (same space), if any.
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # PostgreSQL: the French full-text vector (unaccented, stemmed). SQLite keeps
    # its words in the documents_fts FTS5 table instead, and this stays empty.
    search_vector: Mapped[Any] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), nullable=True)
    masked_from_professionals: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_from_patient: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_from_representatives: Mapped[bool] = mapped_column(Boolean, default=False)
    masked_even_in_emergency: Mapped[bool] = mapped_column(Boolean, default=False)


class DepositIdempotencyKey(Base):
    """A deposit's idempotency key: the same key from the same principal answers
    with the same document (pruned after 24 hours)."""

    __tablename__ = "deposit_idempotency_keys"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # The same person through another app or software is another principal.
    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
