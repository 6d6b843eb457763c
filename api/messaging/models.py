"""Threads, their professional participants, messages (bodies encrypted with
the space's data key), attachments (documents of the dossier) and files sent
with a message alone (contents sealed in the content store, like documents')."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_patient_last_message", "patient_id", "last_message_at", "id"),)

    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patients.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    started_by_professional_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient's side's own view: archived, and read up to.
    patient_archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadParticipant(Base):
    """A professional in a thread, with their own view of it."""

    __tablename__ = "thread_participants"
    __table_args__ = (Index("ix_thread_participants_professional", "professional_id", "thread_id"),)

    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("threads.id"), primary_key=True)
    professional_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_thread_sent", "thread_id", "sent_at", "id"),
        Index("ix_messages_sender_sent", "sender_account_id", "sent_at"),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("threads.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # PATIENT, REPRESENTATIVE, PROFESSIONAL or APP: which side wrote it.
    sender_kind: Mapped[str] = mapped_column(String(16))
    sender_account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sender_professional_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sender_name: Mapped[str] = mapped_column(String(220))
    # AES-256-GCM with the space's data key, bound to the message id.
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # When the other side first read it (the sender's read receipt).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageAttachment(Base):
    __tablename__ = "message_attachments"

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("messages.id"), primary_key=True)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class MessageFile(Base):
    """A new file sent with a message and kept only there (one the sender also
    deposited is a document of the dossier, attached like any other)."""

    __tablename__ = "message_files"
    # The store's garbage collector asks which blob keys rows still point to.
    __table_args__ = (Index("ix_message_files_blob_key", "blob_key"),)

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("messages.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id, unique=True)
    # Its thread and space, so that the thread rules decide who reads it in one statement.
    thread_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("threads.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Its content in the content store, sealed with the space's data key.
    blob_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
