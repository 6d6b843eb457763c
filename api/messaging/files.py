"""New files sent with a message. Each is checked by the dossier's own checks
(format from the content, size, title) and then either kept with the message
alone, sealed in the content store with the space's data key like any
document, or, when a professional asks, deposited into the dossier through the
dossier's deposit path in the message's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access import messaging as rules
from api.access.service import Access
from api.contents.service import Contents, Sealed
from api.db import new_id, utcnow
from api.dossier import formats
from api.dossier import service as dossier
from api.errors import BadUserInput, Forbidden
from api.identity.scopes import Scope
from api.messaging.models import MessageFile

COLUMNS = (
    MessageFile.patient_id,
    MessageFile.thread_id,
    MessageFile.message_id,
    MessageFile.id,
    MessageFile.title,
    MessageFile.file_name,
    MessageFile.mime_type,
    MessageFile.size_bytes,
    MessageFile.sha256,
)
# Where the dossier's input fields sit in a MessageFileInput.
_DEPOSIT_FIELDS = {"typeCode", "serviceDate", "hiddenFromPatient"}


@dataclass(frozen=True, slots=True)
class DepositOptions:
    """The dossier's metadata of a file that becomes a document too."""

    type_code: str
    service_date: date | None = None
    hidden_from_patient: bool = False


@dataclass(frozen=True, slots=True)
class NewFile:
    upload: dossier.Upload
    title: str | None = None
    deposit: DepositOptions | None = None


@dataclass(frozen=True, slots=True)
class MessageFileRecord:
    patient_id: uuid.UUID
    thread_id: uuid.UUID
    message_id: uuid.UUID
    id: uuid.UUID
    title: str
    file_name: str
    mime_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A file checked, to be kept with the message alone."""

    position: int
    upload: dossier.Upload
    title: str
    file_name: str
    mime_type: str


@dataclass(frozen=True, slots=True)
class CheckedFiles:
    kept: list[KeptFile]
    deposits: list[dossier.CheckedDeposit]


@dataclass(frozen=True, slots=True)
class StoredFiles:
    """Files whose blobs are in the store: what the message's transaction writes."""

    kept: list[tuple[KeptFile, Sealed]]
    deposits: list[dossier.PreparedDeposit]


@contextmanager
def _at(position: int) -> Iterator[None]:
    """A user error about one file names its place: files.<n>.<field>."""
    try:
        yield
    except BadUserInput as error:
        field = error.extensions.get("field")
        if isinstance(field, str):
            inner = ["depositToDossier", field] if field in _DEPOSIT_FIELDS else [field]
        else:
            inner = list(field or [])
        raise BadUserInput(error.message, field=["files", str(position), *inner]) from error


async def check_files(
    access: Access, patient_id: uuid.UUID, files: list[NewFile], *, max_bytes: int
) -> CheckedFiles:
    """Every file checked before anything is stored: BAD_USER_INPUT naming the file
    and its field; FORBIDDEN when the dossier would refuse the deposit."""
    kept: list[KeptFile] = []
    deposits: list[dossier.CheckedDeposit] = []
    principal = access.principal
    for position, new in enumerate(files):
        with _at(position):
            if new.deposit is not None and not rules.may_deposit_from_message(principal):
                raise BadUserInput(
                    "Only a professional deposits a message's file into the dossier: send it without "
                    "depositToDossier, or add it to the dossier yourself.",
                    field="depositToDossier",
                )
            mime_type = dossier.checked_content(new.upload, max_bytes)
            file_name = formats.safe_file_name(new.upload.file_name, mime_type)
            title = dossier.checked_title(file_name if new.title is None else new.title)
            if new.deposit is None:
                kept.append(KeptFile(position, new.upload, title, file_name, mime_type))
                continue
            # Not a field of its own: a token that may send messages may not for that write the dossier.
            if not principal.has_scope(Scope.DOCUMENTS_WRITE.value):
                raise Forbidden("This token may not deposit documents (documents:write).")
            request = dossier.DepositRequest(
                patient_id=patient_id,
                patient_ins=None,
                title=title,
                type_code=new.deposit.type_code,
                service_date=new.deposit.service_date,
                hidden_from_patient=new.deposit.hidden_from_patient,
            )
            deposits.append(await dossier.check_deposit(access, request, new.upload, max_bytes=max_bytes))
    return CheckedFiles(kept, deposits)


async def store_files(
    access: Access, contents: Contents, patient_id: uuid.UUID, checked: CheckedFiles
) -> StoredFiles:
    """The blobs first, before any row points to them (a refusal or a crash after this
    leaves at worst orphan blobs, which `espace store gc` collects)."""
    kept = [(file, await contents.seal(patient_id, file.upload.content)) for file in checked.kept]
    deposits = [await dossier.prepare_deposit(access, contents, checked) for checked in checked.deposits]
    return StoredFiles(kept, deposits)


async def write_files(
    connection: AsyncConnection,
    *,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    message_id: uuid.UUID,
    stored: StoredFiles,
) -> list[uuid.UUID]:
    """The rows of the files kept with the message, in its transaction; their ids."""
    rows = [
        {
            "message_id": message_id,
            "id": new_id(),
            "thread_id": thread_id,
            "patient_id": patient_id,
            "position": file.position,
            "title": file.title,
            "file_name": file.file_name,
            "mime_type": file.mime_type,
            "size_bytes": sealed.size_bytes,
            "sha256": sealed.sha256,
            "blob_key": sealed.blob_key,
            "created_at": utcnow(),
        }
        for file, sealed in stored.kept
    ]
    if rows:
        await connection.execute(insert(MessageFile), rows)
    return [row["id"] for row in rows]
