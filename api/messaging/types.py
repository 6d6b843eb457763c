"""GraphQL of secure messaging."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, date, datetime

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from api.access.service import Access
from api.directory import service as directory
from api.directory.types import PatientFields, Professional
from api.dossier.service import Upload as UploadedFile
from api.dossier.types import Document, read_upload
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.enums import PrincipalKind
from api.graphql.ids import decode_id, encode_id
from api.graphql.pagination import PageInfo, decode_keyset, encode_keyset, page_info, page_size
from api.graphql.payloads import UserError
from api.graphql.permissions import scoped
from api.identity.principal import Principal
from api.identity.scopes import Scope
from api.messaging import live, service
from api.messaging.files import DepositOptions, MessageFileRecord, NewFile
from api.messaging.loaders import AttachmentLoader, FilesByMessageIdLoader

THREADS_CURSOR = "threads"
MESSAGES_CURSOR = "messages"
MOMENT_BITS = 56  # microseconds since the epoch


def _cursor(kind: str, moment: datetime, some_id: uuid.UUID) -> str:
    return encode_keyset(kind, int(moment.timestamp() * 1_000_000), some_id)


def _decode(kind: str, cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    found = decode_keyset(kind, cursor, key_bits=MOMENT_BITS)
    if found is None:
        return None
    try:
        return datetime.fromtimestamp(found[0] / 1_000_000, tz=UTC), found[1]
    except (OverflowError, OSError, ValueError) as error:
        raise BadUserInput("This cursor is not valid here.", field="after") from error


def _limits(info: Info) -> service.Limits:
    settings = info.context.settings
    return service.Limits(
        max_chars=settings.message_max_chars,
        max_attachments=settings.message_max_attachments,
        per_minute=settings.messages_per_minute,
        max_file_bytes=settings.upload_max_bytes,
    )


@strawberry.type(
    description="A new file sent with a message and kept with it (not a document of the dossier)."
)
class MessageFile:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    title: str = strawberry.field(description="Title (the file name unless the sender gave one).")
    file_name: str = strawberry.field(description="File name, sanitized.")
    content_type: str = strawberry.field(description="Format, recognized from the content.")
    size_bytes: int = strawberry.field(description="Size of the content.")
    sha256: str = strawberry.field(description="SHA-256 of the content.")
    record: strawberry.Private[MessageFileRecord]

    @classmethod
    def from_record(cls, record: MessageFileRecord) -> MessageFile:
        return cls(
            id=strawberry.ID(encode_id("MessageFile", record.id)),
            title=record.title,
            file_name=record.file_name,
            content_type=record.mime_type,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
            record=record,
        )

    @strawberry.field(
        description="A short-lived signed link to the content; the thread's rules are asked again "
        "and the download journaled when it is fetched."
    )
    def content_url(self, info: Info) -> str:
        return info.context.content_links.message_file_url(info.context.require_principal(), self.record.id)


@strawberry.type(description="A message of a thread.")
class Message(relay.Node):
    id: relay.NodeID[str]
    sent_at: datetime = strawberry.field(description="When it was sent.")
    sender_kind: PrincipalKind = strawberry.field(
        description="Which side wrote it: the patient's, a professional."
    )
    sender_name: str = strawberry.field(
        description="Who wrote it (a professional's name, never their address)."
    )
    body: str = strawberry.field(description="The text.")
    read_at: datetime | None = strawberry.field(description="When the other side first read it.")
    record: strawberry.Private[service.MessageRecord]
    loader: strawberry.Private[AttachmentLoader | None] = None
    files_loader: strawberry.Private[FilesByMessageIdLoader | None] = None

    @classmethod
    def from_record(
        cls,
        record: service.MessageRecord,
        loader: AttachmentLoader | None = None,
        files_loader: FilesByMessageIdLoader | None = None,
    ) -> Message:
        """`loader`, `files_loader`: shared by a page of messages, so that it loads in one go."""
        return cls(
            id=str(record.id),
            sent_at=record.sent_at,
            sender_kind=PrincipalKind(record.sender_kind),
            sender_name=record.sender_name,
            body=record.body,
            read_at=record.read_at,
            record=record,
            loader=loader,
            files_loader=files_loader,
        )

    @strawberry.field(description="The professional who wrote it, if one did.")
    async def sender(self, info: Info) -> Professional | None:
        if self.record.sender_professional_id is None:
            return None
        found = await directory.read_professional(
            info.context.require_access(),
            info.context.loaders.professional_by_id,
            self.record.sender_professional_id,
        )
        return Professional.from_record(found) if found else None

    @strawberry.field(
        description="Documents of the dossier attached, as far as the reader may see them.",
        **scoped(Scope.DOCUMENTS_READ),
    )
    async def attachments(self, info: Info) -> list[Document] | None:
        loader = self.loader or AttachmentLoader(info.context.require_access(), self.record.patient_id)
        found = await loader.load_many(list(self.record.attachment_ids))
        return [Document.from_record(record) for record in found if record is not None]

    @strawberry.field(
        description="New files sent with it and kept with it (a file the sender also deposited into "
        "the dossier is among `attachments`). Each read by anyone but the patient is journaled.",
        **scoped(Scope.MESSAGES_READ),
    )
    async def files(self, info: Info) -> list[MessageFile] | None:
        loader = self.files_loader or FilesByMessageIdLoader(
            info.context.require_access(), self.record.patient_id
        )
        return [MessageFile.from_record(record) for record in await loader.load(self.record.id)]


@strawberry.type(description="A message and its cursor.")
class MessageEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: Message = strawberry.field(description="The message.")


@strawberry.type(description="Messages, oldest first.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="This page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")


@strawberry.type(description="A conversation between a patient's side and professionals of the care team.")
class Thread(relay.Node):
    id: relay.NodeID[str]
    subject: str = strawberry.field(description="What it is about.")
    last_message_at: datetime = strawberry.field(description="When the last message came.")
    unread_count: int = strawberry.field(
        description="Messages of the other side the reader's side has not read."
    )
    closed: bool = strawberry.field(description="Closed by a professional: it takes no more replies.")
    archived: bool = strawberry.field(description="Archived by the patient's side.")
    record: strawberry.Private[service.ThreadRecord]

    @classmethod
    def from_record(cls, record: service.ThreadRecord) -> Thread:
        return cls(
            id=str(record.id),
            subject=record.subject,
            last_message_at=record.last_message_at,
            unread_count=record.unread,
            closed=record.closed_at is not None,
            archived=record.archived,
            record=record,
        )

    @strawberry.field(description="The professionals of the thread (names only).")
    async def participants(self, info: Info) -> list[Professional]:
        found = await directory.read_professionals(
            info.context.require_access(),
            info.context.loaders.professional_by_id,
            list(self.record.participants),
        )
        return [Professional.from_record(record) for record in found if record is not None]

    @strawberry.field(
        description="The messages, oldest first. Each read by anyone but the patient is journaled."
    )
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> MessageConnection:
        limit = page_size(first)
        access = info.context.require_access()
        records, more = await service.messages_page(
            access, info.context.contents, self.record.id, limit=limit, after=_decode(MESSAGES_CURSOR, after)
        )
        loader = AttachmentLoader(access, self.record.patient_id)
        files_loader = FilesByMessageIdLoader(access, self.record.patient_id)
        edges = [
            MessageEdge(
                cursor=_cursor(MESSAGES_CURSOR, r.sent_at, r.id),
                node=Message.from_record(r, loader, files_loader),
            )
            for r in records
        ]
        return MessageConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Thread | None]:
        access = info.context.require_access()
        return [
            cls.from_record(await service.read_thread(access, uuid.UUID(node_id))) for node_id in node_ids
        ]


@strawberry.type(description="A page of threads, latest activity first.")
class ThreadConnection:
    edges: list[ThreadEdge] = strawberry.field(description="This page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    total_count: int = strawberry.field(description="Threads the caller may see, in all.")


@strawberry.type(description="A thread and its cursor.")
class ThreadEdge:
    cursor: str = strawberry.field(description="Opaque cursor.")
    node: Thread = strawberry.field(description="The thread.")


@strawberry.type
class PatientMessagingFields(PatientFields):
    """The messaging part of `Patient`."""

    @strawberry.field(
        description="Threads of the space the caller may see (a professional: those they take part in), "
        "latest activity first. Journaled when read by anyone but the patient.",
        **scoped(Scope.MESSAGES_READ),
    )
    async def threads(
        self, info: Info, first: int | None = None, after: str | None = None, unread_only: bool = False
    ) -> ThreadConnection | None:
        limit = page_size(first)
        records, total, more = await service.threads_page(
            info.context.require_access(),
            self.record.id,
            limit=limit,
            after=_decode(THREADS_CURSOR, after),
            unread_only=unread_only,
        )
        edges = [
            ThreadEdge(
                cursor=_cursor(THREADS_CURSOR, r.last_message_at, r.id),
                node=Thread.from_record(r),
            )
            for r in records
        ]
        return ThreadConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
            total_count=total,
        )


def _ids(values: list[strawberry.ID] | None, type_name: str, field: str) -> list[uuid.UUID]:
    found = []
    for value in values or []:
        try:
            found.append(decode_id(value, type_name)[1])
        except BadUserInput as error:
            raise BadUserInput(error.message, field=field) from error
    return found


@strawberry.input(
    description="Put a message's new file into the dossier too, as a document attached to the message: "
    "professionals only, under the dossier's rules (the token needs documents:write as well)."
)
class DepositToDossierInput:
    type_code: str = strawberry.field(description="LOINC code of the document type.")
    service_date: date | None = strawberry.field(default=None, description="Date of the care.")
    hidden_from_patient: bool = strawberry.field(
        default=False, description="To be announced in person before the patient sees it."
    )


@strawberry.input(description="A new file sent with a message (GraphQL multipart request).")
class MessageFileInput:
    file: Upload = strawberry.field(description="The content (multipart upload).")
    title: str | None = strawberry.field(default=None, description="Title; by default the file name.")
    deposit_to_dossier: DepositToDossierInput | None = strawberry.field(
        default=None, description="Also deposit it into the dossier, in the same operation."
    )


async def _new_files(inputs: list[MessageFileInput] | None) -> list[NewFile]:
    """The files' bytes and what to do with them; nothing is checked or stored yet."""
    found = []
    for position, given in enumerate(inputs or []):
        try:
            content = await read_upload(given.file)
        except BadUserInput as error:
            raise BadUserInput(error.message, field=["files", str(position), "file"]) from error
        upload = UploadedFile(content, given.file.filename, given.file.content_type)
        deposit = given.deposit_to_dossier
        options = (
            DepositOptions(deposit.type_code, deposit.service_date, deposit.hidden_from_patient)
            if deposit
            else None
        )
        found.append(NewFile(upload, given.title, options))
    return found


@strawberry.input(description="Only professionals open threads.")
class StartThreadInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    subject: str = strawberry.field(description="What it is about.")
    body: str = strawberry.field(description="The first message.")
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Documents of the dossier to attach."
    )
    files: list[MessageFileInput] | None = strawberry.field(
        default=None,
        description="New files to send (they count toward the attachments' limit with attachmentIds).",
    )


@strawberry.input(description="A reply in a thread.")
class SendMessageInput:
    thread_id: strawberry.ID = strawberry.field(description="The thread.")
    body: str = strawberry.field(description="The text.")
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Documents of the dossier to attach."
    )
    files: list[MessageFileInput] | None = strawberry.field(
        default=None,
        description="New files to send (they count toward the attachments' limit with attachmentIds).",
    )


@strawberry.type(description="The thread started or changed.")
class ThreadPayload:
    thread: Thread | None = strawberry.field(description="The thread.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type(description="The message sent.")
class MessagePayload:
    message: Message | None = strawberry.field(description="The message.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


def _thread_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return decode_id(value, "Thread")[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field="threadId") from error


async def _announce(info: Info, message: service.MessageRecord) -> None:
    """After the commit: the subscribers of the space hear of it (ids only)."""
    if info.context.bus is not None:
        await info.context.bus.publish(message.patient_id, message.id)


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(
        description="Open a thread with a patient: professionals of the care team.",
        **scoped(Scope.MESSAGES_SEND),
    )
    async def start_thread(self, info: Info, input: StartThreadInput) -> ThreadPayload:
        try:
            patient_id = decode_id(input.patient_id, "Patient")[1]
            thread, message = await service.start_thread(
                info.context.require_access(),
                info.context.contents,
                patient_id,
                subject=input.subject,
                body=input.body,
                attachment_ids=_ids(input.attachment_ids, "Document", "attachmentIds"),
                limits=_limits(info),
                new_files=await _new_files(input.files),
            )
        except BadUserInput as error:
            return ThreadPayload(thread=None, user_errors=UserError.from_error(error))
        await _announce(info, message)
        return ThreadPayload(thread=Thread.from_record(thread), user_errors=[])

    @strawberry.mutation(description="Reply in a thread that is not closed.", **scoped(Scope.MESSAGES_SEND))
    async def send_message(self, info: Info, input: SendMessageInput) -> MessagePayload:
        try:
            message = await service.send_message(
                info.context.require_access(),
                info.context.contents,
                _thread_id(input.thread_id),
                body=input.body,
                attachment_ids=_ids(input.attachment_ids, "Document", "attachmentIds"),
                limits=_limits(info),
                new_files=await _new_files(input.files),
            )
        except BadUserInput as error:
            return MessagePayload(message=None, user_errors=UserError.from_error(error))
        await _announce(info, message)
        return MessagePayload(message=Message.from_record(message), user_errors=[])

    @strawberry.mutation(
        description="The reader's side has read the thread (the senders see readAt).",
        **scoped(Scope.MESSAGES_READ),
    )
    async def mark_thread_read(self, info: Info, thread_id: strawberry.ID) -> ThreadPayload:
        record = await service.mark_read(info.context.require_access(), _thread_id(thread_id))
        return ThreadPayload(thread=Thread.from_record(record), user_errors=[])

    @strawberry.mutation(description="Close a thread: a professional of it.", **scoped(Scope.MESSAGES_SEND))
    async def close_thread(self, info: Info, thread_id: strawberry.ID) -> ThreadPayload:
        record = await service.close_thread(info.context.require_access(), _thread_id(thread_id))
        return ThreadPayload(thread=Thread.from_record(record), user_errors=[])

    @strawberry.mutation(
        description="Archive a thread in your own view, or bring it back.", **scoped(Scope.MESSAGES_SEND)
    )
    async def archive_thread(
        self, info: Info, thread_id: strawberry.ID, archived: bool = True
    ) -> ThreadPayload:
        record = await service.archive_thread(
            info.context.require_access(), _thread_id(thread_id), archived=archived
        )
        return ThreadPayload(thread=Thread.from_record(record), user_errors=[])


@strawberry.type
class MessagingSubscription:
    @strawberry.subscription(
        description="New messages in the threads of a space the caller may see, as they come "
        "(graphql-transport-ws, the token in connection_init's payload as `authorization`). Default: the "
        "token's own space. Each delivery is journaled; a revoked token or a block ends it.",
        **scoped(Scope.MESSAGES_READ),
    )
    async def message_received(
        self, info: Info, patient_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Message, None]:
        context = info.context
        access = context.require_access()
        principal = access.principal
        space = (
            decode_id(patient_id, "Patient")[1]
            if patient_id
            else (principal.acting_for or principal.patient_id)
        )
        if space is None:
            raise BadUserInput("Name the space: patientId.", field="patientId")
        if context.bus is None or context.reauthenticate is None:
            raise BadUserInput("Subscribe over a WebSocket (graphql-transport-ws).")
        settings = context.settings

        def access_for(someone: Principal) -> Access:
            return Access(
                someone,
                context.database,
                emergency_duration=settings.emergency_access_duration,
                caregiver_duration=settings.caregiver_delegation_duration,
            )

        async for record in live.received(
            access,
            space,
            bus=context.bus,
            contents=context.contents,
            reauthenticate=context.reauthenticate,
            access_for=access_for,
        ):
            yield Message.from_record(record)
