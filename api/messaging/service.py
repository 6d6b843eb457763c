"""Secure messaging's operations, under the space policy and the thread rules
of api.access.messaging. Bodies are sealed with the space's data key; every
read by anyone but the patient is journaled; what a reader may not see is
neither returned nor counted. New files sent with a message (api.messaging.files)
are written, and deposited into the dossier when asked, in the message's own
transaction: the message and its files are kept together or not at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access import messaging as rules
from api.access.policy import Action, SpacePart
from api.access.service import Access, SpaceAccess
from api.contents.service import Contents
from api.db import Count, count_of, new_id, utcnow
from api.dossier import service as dossier
from api.errors import BadUserInput, Forbidden, NotFound, RateLimited
from api.identity.scopes import Scope
from api.journal import outbox
from api.journal.records import AccessAction
from api.messaging import files
from api.messaging.models import Message, MessageAttachment, MessageFile, Thread, ThreadParticipant
from api.text import clean_text


@dataclass(frozen=True, slots=True)
class Limits:
    max_chars: int = 10_000
    max_attachments: int = 10  # documents and new files together
    per_minute: int = 20
    max_file_bytes: int = 20_000_000


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    patient_id: uuid.UUID
    id: uuid.UUID
    subject: str
    last_message_at: datetime
    closed_at: datetime | None
    archived: bool
    participants: tuple[uuid.UUID, ...]
    unread: int


@dataclass(frozen=True, slots=True)
class MessageRecord:
    patient_id: uuid.UUID
    thread_id: uuid.UUID
    id: uuid.UUID
    sent_at: datetime
    sender_kind: str
    sender_professional_id: uuid.UUID | None
    sender_name: str
    body: str
    read_at: datetime | None
    attachment_ids: tuple[uuid.UUID, ...]
    sender_account_id: uuid.UUID | None = None


def _participations(principal_professional_id: uuid.UUID | None) -> Select:  # type: ignore[type-arg]
    return select(ThreadParticipant.thread_id).where(
        ThreadParticipant.professional_id == principal_professional_id
    )


def _from_other_side(granted: SpaceAccess) -> ColumnElement[bool]:
    """Messages the reader's side did not write: theirs to mark read."""
    if rules.is_patient_side(granted):
        return Message.sender_kind == "PROFESSIONAL"
    return Message.sender_kind != "PROFESSIONAL"


THREAD_COLUMNS = (
    Thread.patient_id,
    Thread.id,
    Thread.subject,
    Thread.last_message_at,
    Thread.closed_at,
    Thread.patient_archived_at,
)


async def _located(
    access: Access, thread_id: uuid.UUID, action: Action
) -> tuple[SpaceAccess, Any, frozenset[uuid.UUID]]:
    """A thread (its row: THREAD_COLUMNS) and its participants; NOT_FOUND when it
    does not exist or the principal may not see it (the two look alike)."""
    async with access.database.read() as connection:
        thread = (await connection.execute(select(*THREAD_COLUMNS).where(Thread.id == thread_id))).first()
        participants = frozenset(
            await connection.scalars(
                select(ThreadParticipant.professional_id).where(ThreadParticipant.thread_id == thread_id)
            )
        )
    if thread is None:
        raise NotFound("No such thread.")
    granted = await access.space(thread.patient_id, action, SpacePart.MESSAGES)
    if not rules.may_see(access.principal, granted, participants):
        access.denied(granted.facts, "Thread")  # without its id, like a document kept from someone
        raise NotFound("No such thread.")
    return granted, thread, participants


def _checked_body(body: str, attachment_ids: list[uuid.UUID], new_files: int, limits: Limits) -> str:
    body = clean_text(body, field="body", min_length=1, max_length=limits.max_chars, what="The message")
    if len(attachment_ids) + new_files > limits.max_attachments:
        raise BadUserInput(
            f"At most {limits.max_attachments} attachments per message, documents and files together.",
            field="files" if new_files else "attachmentIds",
        )
    if len(set(attachment_ids)) != len(attachment_ids):
        raise BadUserInput("The same document is attached twice.", field="attachmentIds")
    return body


async def _check_rate(access: Access, limits: Limits) -> None:
    async with access.database.read() as connection:
        recent = await connection.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.sender_account_id == access.principal.account_id,
                Message.sent_at > utcnow() - timedelta(minutes=1),
            )
        )
    if int(recent or 0) >= limits.per_minute:
        raise RateLimited(f"At most {limits.per_minute} messages a minute; wait a little.")


async def _check_attachments(access: Access, patient_id: uuid.UUID, attachment_ids: list[uuid.UUID]) -> None:
    """Only documents of this space the sender may read; attaching widens no one's rights."""
    if not attachment_ids:
        return
    visible = {record.id for record in await dossier.documents_by_ids(access, patient_id, attachment_ids)}
    if set(attachment_ids) - visible:
        raise BadUserInput("An attachment is no document of this space you may read.", field="attachmentIds")


async def _sealed(contents: Contents, patient_id: uuid.UUID, body: str) -> tuple[uuid.UUID, bytes, str]:
    message_id = new_id()
    return message_id, await contents.seal_text(patient_id, body, message_id), body


async def _write_message(
    connection: AsyncConnection,
    access: Access,
    *,
    sealed: tuple[uuid.UUID, bytes, str],
    granted: SpaceAccess,
    thread_id: uuid.UUID,
    attachment_ids: list[uuid.UUID],
    stored: files.StoredFiles,
) -> MessageRecord:
    """`sealed`: the message's id, its body sealed and in clear, made before the
    transaction (a space's first key is written on its own connection); `stored`:
    its new files, their blobs already in the store. A file deposited into the
    dossier becomes a document here, attached like the others."""
    message_id, sealed_body, body = sealed
    for prepared in stored.deposits:
        deposited = await dossier.write_deposit(connection, access, prepared)
        attachment_ids = [*attachment_ids, deposited.id]
    principal = access.principal
    now = utcnow()
    kind = "PROFESSIONAL" if rules.is_professional(principal) else principal.kind.value
    name = principal.app_name or principal.display_name
    await connection.execute(
        insert(Message).values(
            thread_id=thread_id,
            id=message_id,
            patient_id=granted.patient_id,
            sent_at=now,
            sender_kind=kind,
            sender_account_id=principal.account_id,
            sender_professional_id=principal.professional_id if kind == "PROFESSIONAL" else None,
            sender_name=name,
            body_sealed=sealed_body,
        )
    )
    if attachment_ids:
        await connection.execute(
            insert(MessageAttachment),
            [
                {"message_id": message_id, "document_id": doc, "position": n}
                for n, doc in enumerate(attachment_ids)
            ],
        )
    for file_id in await files.write_files(
        connection, patient_id=granted.patient_id, thread_id=thread_id, message_id=message_id, stored=stored
    ):
        await access.write_entry(connection, granted, AccessAction.CREATE, "MessageFile", file_id)
    await connection.execute(
        update(Thread).where(Thread.id == thread_id).values(last_message_at=now, patient_archived_at=None)
    )
    await access.write_entry(connection, granted, AccessAction.CREATE, "Message", message_id)
    if kind == "PROFESSIONAL":
        # The patient is told a message came, never what it says.
        await outbox.emit(
            connection,
            outbox.EventKind.MESSAGE_RECEIVED,
            granted.patient_id,
            {"threadId": str(thread_id), "from": name},
        )
    return MessageRecord(
        granted.patient_id,
        thread_id,
        message_id,
        now,
        kind,
        principal.professional_id if kind == "PROFESSIONAL" else None,
        name,
        body,
        None,
        tuple(attachment_ids),
    )


async def start_thread(
    access: Access,
    contents: Contents,
    patient_id: uuid.UUID,
    *,
    subject: str,
    body: str,
    attachment_ids: list[uuid.UUID],
    limits: Limits,
    new_files: list[files.NewFile] | None = None,
) -> tuple[ThreadRecord, MessageRecord]:
    """A professional of the care team opens a thread with its first message."""
    granted = await access.space(patient_id, Action.CREATE, SpacePart.MESSAGES)
    if not rules.may_start(access.principal, granted):
        raise Forbidden("Only a professional of the care team opens a thread.")
    subject = clean_text(subject, field="subject", min_length=1, max_length=200, what="The subject")
    body = _checked_body(body, attachment_ids, len(new_files or []), limits)
    checked = await files.check_files(access, patient_id, new_files or [], max_bytes=limits.max_file_bytes)
    await _check_rate(access, limits)
    await _check_attachments(access, patient_id, attachment_ids)
    stored = await files.store_files(access, contents, patient_id, checked)
    sealed = await _sealed(contents, patient_id, body)
    thread_id, now = new_id(), utcnow()
    professional_id = access.principal.professional_id
    async with access.database.session() as session:
        connection = await session.connection()
        await connection.execute(
            insert(Thread).values(
                patient_id=patient_id,
                id=thread_id,
                subject=subject,
                started_by_professional_id=professional_id,
                last_message_at=now,
                created_at=now,
            )
        )
        await connection.execute(
            insert(ThreadParticipant).values(thread_id=thread_id, professional_id=professional_id)
        )
        await access.write_entry(connection, granted, AccessAction.CREATE, "Thread", thread_id)
        message = await _write_message(
            connection,
            access,
            sealed=sealed,
            granted=granted,
            thread_id=thread_id,
            attachment_ids=attachment_ids,
            stored=stored,
        )
    thread = ThreadRecord(patient_id, thread_id, subject, message.sent_at, None, False, (professional_id,), 0)  # type: ignore[arg-type]
    return thread, message


async def send_message(
    access: Access,
    contents: Contents,
    thread_id: uuid.UUID,
    *,
    body: str,
    attachment_ids: list[uuid.UUID],
    limits: Limits,
    new_files: list[files.NewFile] | None = None,
) -> MessageRecord:
    """A reply: the patient's side or a participant; never in a closed thread."""
    granted, thread, participants = await _located(access, thread_id, Action.CREATE)
    if not rules.may_reply(access.principal, granted, participants):
        raise Forbidden("You may not write in this thread.")
    if thread.closed_at is not None:
        raise BadUserInput("This thread is closed: it takes no more replies.", field="threadId")
    body = _checked_body(body, attachment_ids, len(new_files or []), limits)
    checked = await files.check_files(
        access, thread.patient_id, new_files or [], max_bytes=limits.max_file_bytes
    )
    await _check_rate(access, limits)
    await _check_attachments(access, thread.patient_id, attachment_ids)
    stored = await files.store_files(access, contents, thread.patient_id, checked)
    sealed = await _sealed(contents, thread.patient_id, body)
    async with access.database.session() as session:
        connection = await session.connection()
        return await _write_message(
            connection,
            access,
            sealed=sealed,
            granted=granted,
            thread_id=thread_id,
            attachment_ids=attachment_ids,
            stored=stored,
        )


def _view_columns(access: Access, granted: SpaceAccess) -> tuple[Any, Any]:
    """Per reader: messages of the other side not yet read, and when the reader's
    own side archived the thread (a professional never sees the patient's view)."""
    unread = (
        select(func.count())
        .select_from(Message)
        .where(Message.thread_id == Thread.id, Message.read_at.is_(None), _from_other_side(granted))
        .scalar_subquery()
    )
    if rules.is_patient_side(granted):
        return unread, Thread.patient_archived_at
    archived = (
        select(ThreadParticipant.archived_at)
        .where(
            ThreadParticipant.thread_id == Thread.id,
            ThreadParticipant.professional_id == access.principal.professional_id,
        )
        .scalar_subquery()
    )
    return unread, archived


async def threads_page(
    access: Access,
    patient_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    unread_only: bool,
) -> tuple[list[ThreadRecord], Count, bool]:
    """Latest activity first; each with its participants and the reader's unread count;
    how to count them all; whether more follow."""
    granted = await access.space(patient_id, Action.READ, SpacePart.MESSAGES)
    principal = access.principal
    unread, archived = _view_columns(access, granted)
    query = select(
        Thread.patient_id,
        Thread.id,
        Thread.subject,
        Thread.last_message_at,
        Thread.closed_at,
        archived.label("archived_at"),
        unread.label("unread"),
    ).where(
        Thread.patient_id == patient_id,
        rules.visible_threads(principal, granted, Thread, _participations(principal.professional_id)),
    )
    if unread_only:
        query = query.where(unread > 0)
    page_query = query.order_by(Thread.last_message_at.desc(), Thread.id.desc()).limit(limit + 1)
    if after is not None:
        at, thread_id = after
        page_query = page_query.where(
            or_(Thread.last_message_at < at, and_(Thread.last_message_at == at, Thread.id < thread_id))
        )
    async with access.database.read() as connection:
        rows = (await connection.execute(page_query)).all()[: limit + 1]
        ids = [row.id for row in rows[:limit]]
        people: dict[uuid.UUID, list[uuid.UUID]] = {}
        if ids:
            for thread_id, professional_id in await connection.execute(
                select(ThreadParticipant.thread_id, ThreadParticipant.professional_id)
                .where(ThreadParticipant.thread_id.in_(ids))
                .order_by(ThreadParticipant.professional_id)
            ):
                people.setdefault(thread_id, []).append(professional_id)
    records = [
        ThreadRecord(
            row.patient_id,
            row.id,
            row.subject,
            row.last_message_at,
            row.closed_at,
            row.archived_at is not None,
            tuple(people.get(row.id, ())),
            int(row.unread or 0),
        )
        for row in rows[:limit]
    ]
    for record in records:
        access.read(granted, "Thread", record.id)
    return records, count_of(access.database, query), len(rows) > limit


async def messages_page(
    access: Access,
    contents: Contents,
    thread_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[MessageRecord], bool]:
    """Oldest first, bodies opened, each read journaled."""
    granted, thread, _ = await _located(access, thread_id, Action.READ)
    query = select(
        Message.id,
        Message.sent_at,
        Message.sender_kind,
        Message.sender_professional_id,
        Message.sender_name,
        Message.body_sealed,
        Message.read_at,
    ).where(Message.thread_id == thread_id)
    if after is not None:
        at, message_id = after
        query = query.where(or_(Message.sent_at > at, and_(Message.sent_at == at, Message.id > message_id)))
    async with access.database.read() as connection:
        rows = (await connection.execute(query.order_by(Message.sent_at, Message.id).limit(limit + 1))).all()
        page = rows[:limit]
        attached: dict[uuid.UUID, list[uuid.UUID]] = {}
        if page:
            for message_id, document_id in await connection.execute(
                select(MessageAttachment.message_id, MessageAttachment.document_id)
                .where(MessageAttachment.message_id.in_([row.id for row in page]))
                .order_by(MessageAttachment.message_id, MessageAttachment.position)
            ):
                attached.setdefault(message_id, []).append(document_id)
    bodies = await contents.open_texts(thread.patient_id, [(row.body_sealed, row.id) for row in page])
    records = [
        MessageRecord(
            thread.patient_id,
            thread_id,
            row.id,
            row.sent_at,
            row.sender_kind,
            row.sender_professional_id,
            row.sender_name,
            body,
            row.read_at,
            tuple(attached.get(row.id, ())),
        )
        for row, body in zip(page, bodies, strict=True)
    ]
    for record in records:
        access.read(granted, "Message", record.id)
    return records, len(rows) > limit


async def read_thread(access: Access, thread_id: uuid.UUID) -> ThreadRecord:
    granted, thread, participants = await _located(access, thread_id, Action.READ)
    unread, archived = _view_columns(access, granted)
    async with access.database.read() as connection:
        view = (await connection.execute(select(unread, archived).where(Thread.id == thread_id))).one()
    access.read(granted, "Thread", thread_id)
    return ThreadRecord(
        thread.patient_id,
        thread.id,
        thread.subject,
        thread.last_message_at,
        thread.closed_at,
        view[1] is not None,
        tuple(sorted(participants)),
        int(view[0] or 0),
    )


async def mark_read(access: Access, thread_id: uuid.UUID) -> ThreadRecord:
    """The reader's side has read the thread: the other side's messages get their readAt."""
    granted, _, _ = await _located(access, thread_id, Action.READ)
    async with access.database.session() as session:
        connection = await session.connection()
        await connection.execute(
            update(Message)
            .where(Message.thread_id == thread_id, Message.read_at.is_(None), _from_other_side(granted))
            .values(read_at=utcnow())
        )
        await access.write_entry(connection, granted, AccessAction.UPDATE, "Thread", thread_id)
    return await read_thread(access, thread_id)


async def close_thread(access: Access, thread_id: uuid.UUID) -> ThreadRecord:
    granted, thread, participants = await _located(access, thread_id, Action.CREATE)
    if not rules.may_close(access.principal, granted, participants):
        raise Forbidden("Only a professional of the thread closes it.")
    if thread.closed_at is None:
        async with access.database.session() as session:
            connection = await session.connection()
            await connection.execute(update(Thread).where(Thread.id == thread_id).values(closed_at=utcnow()))
            await access.write_entry(connection, granted, AccessAction.UPDATE, "Thread", thread_id)
    return await read_thread(access, thread_id)


async def archive_thread(access: Access, thread_id: uuid.UUID, *, archived: bool) -> ThreadRecord:
    """Archive (or bring back) the thread in the reader's own view (a caregiver reads only)."""
    granted, _, _ = await _located(access, thread_id, Action.CREATE)
    when = utcnow() if archived else None
    async with access.database.session() as session:
        connection = await session.connection()
        if rules.is_patient_side(granted):
            await connection.execute(
                update(Thread).where(Thread.id == thread_id).values(patient_archived_at=when)
            )
        else:
            await connection.execute(
                update(ThreadParticipant)
                .where(
                    ThreadParticipant.thread_id == thread_id,
                    ThreadParticipant.professional_id == access.principal.professional_id,
                )
                .values(archived_at=when)
            )
        await access.write_entry(connection, granted, AccessAction.UPDATE, "Thread", thread_id)
    return await read_thread(access, thread_id)


async def read_message(access: Access, contents: Contents, message_id: uuid.UUID) -> MessageRecord:
    """One message, under the reader's rights now (a subscription's delivery): NOT_FOUND
    when its thread is not theirs to see."""
    async with access.database.read() as connection:
        row = (
            await connection.execute(
                select(
                    Message.thread_id,
                    Message.id,
                    Message.sent_at,
                    Message.sender_kind,
                    Message.sender_account_id,
                    Message.sender_professional_id,
                    Message.sender_name,
                    Message.body_sealed,
                    Message.read_at,
                ).where(Message.id == message_id)
            )
        ).first()
        attached = (
            list(
                await connection.scalars(
                    select(MessageAttachment.document_id)
                    .where(MessageAttachment.message_id == message_id)
                    .order_by(MessageAttachment.position)
                )
            )
            if row
            else []
        )
    if row is None:
        raise NotFound("No such message.")
    granted, thread, _ = await _located(access, row.thread_id, Action.READ)
    (body,) = await contents.open_texts(thread.patient_id, [(row.body_sealed, row.id)])
    access.read(granted, "Message", row.id)
    return MessageRecord(
        thread.patient_id,
        row.thread_id,
        row.id,
        row.sent_at,
        row.sender_kind,
        row.sender_professional_id,
        row.sender_name,
        body,
        row.read_at,
        tuple(attached),
    )


async def files_of_messages(
    access: Access, patient_id: uuid.UUID, message_ids: list[uuid.UUID]
) -> list[files.MessageFileRecord]:
    """The new files of these messages of the space, in one statement, as far as the
    reader sees their threads; each read journaled."""
    granted = await access.space(patient_id, Action.READ, SpacePart.MESSAGES)
    if not message_ids:
        return []
    principal = access.principal
    query = (
        select(*files.COLUMNS)
        .join(Thread, Thread.id == MessageFile.thread_id)
        .where(
            MessageFile.patient_id == patient_id,
            Thread.patient_id == patient_id,
            MessageFile.message_id.in_(message_ids),
            rules.visible_threads(principal, granted, Thread, _participations(principal.professional_id)),
        )
        .order_by(MessageFile.message_id, MessageFile.position)
    )
    async with access.database.read() as connection:
        found = [files.MessageFileRecord(*row) for row in await connection.execute(query)]
    for record in found:
        access.read(granted, "MessageFile", record.id)
    return found


async def download_file(
    access: Access, contents: Contents, file_id: uuid.UUID
) -> tuple[files.MessageFileRecord, bytes]:
    """The content of a message's file, for whoever sees its thread now, journaled as
    DOWNLOAD; NOT_FOUND when the file does not exist or its thread is not theirs."""
    async with access.database.read() as connection:
        row = (
            await connection.execute(
                select(*files.COLUMNS, MessageFile.blob_key).where(MessageFile.id == file_id)
            )
        ).first()
    if row is None:
        raise NotFound("No such file.")
    record, blob_key = files.MessageFileRecord(*row[:-1]), row[-1]
    granted, _, _ = await _located(access, record.thread_id, Action.DOWNLOAD)
    if not access.principal.has_scope(Scope.MESSAGES_READ.value):
        raise Forbidden("This token may not read messages.")
    content = await contents.open(record.patient_id, blob_key, record.sha256)
    access.read(granted, "MessageFile", record.id, download=True)
    return record, content


async def referenced_blobs(connection: AsyncConnection, keys: list[str]) -> set[str]:
    """Which of these blob keys a message's file still points to (for `espace store gc`)."""
    return set(await connection.scalars(select(MessageFile.blob_key).where(MessageFile.blob_key.in_(keys))))
