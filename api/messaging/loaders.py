"""The attachments and files of a page of messages, loaded together when asked for."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from aiodataloader import DataLoader

from api.access.service import Access
from api.dossier import service as dossier
from api.dossier.records import DocumentRecord
from api.messaging import service
from api.messaging.files import MessageFileRecord


class AttachmentLoader(DataLoader[uuid.UUID, DocumentRecord | None]):
    """Documents of one space as this reader may see them (None: not for them):
    attaching never widened anyone's rights. One statement per page."""

    def __init__(self, access: Access, patient_id: uuid.UUID) -> None:
        super().__init__()
        self._access = access
        self._patient_id = patient_id

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[DocumentRecord | None]:
        found = {
            record.id: record
            for record in await dossier.documents_by_ids(self._access, self._patient_id, list(set(keys)))
        }
        return [found.get(key) for key in keys]


class FilesByMessageIdLoader(DataLoader[uuid.UUID, list[MessageFileRecord]]):
    """The new files of messages of one space, by message, in their order, as far as
    this reader sees the threads. One statement per page."""

    def __init__(self, access: Access, patient_id: uuid.UUID) -> None:
        super().__init__()
        self._access = access
        self._patient_id = patient_id

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[MessageFileRecord]]:
        by_message: dict[uuid.UUID, list[MessageFileRecord]] = {}
        for record in await service.files_of_messages(self._access, self._patient_id, list(set(keys))):
            by_message.setdefault(record.message_id, []).append(record)
        return [by_message.get(key, []) for key in keys]
