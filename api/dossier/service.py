"""The dossier's operations: deposit, list and read documents, under the policy.

Reads by anyone but the patient are journaled, one entry per document. What a
principal may not see is filtered in SQL (api.access.documents), so it is
neither returned nor counted; a single document the principal may not see is
NOT_FOUND, whether it exists or not.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.access.agenda import documents_as_evidence
from api.access.documents import visible_documents
from api.access.notices import wants_document_notices
from api.access.policy import (
    Action,
    DocumentDecision,
    Relation,
    SpaceDecision,
    SpacePart,
    VisibilityFlag,
    document_decision,
    may_change_visibility,
    may_deposit_as_feed,
)
from api.access.service import Access, SpaceAccess
from api.agenda.staleness import inputs_changed
from api.contents.service import Contents
from api.db import Count, count_of, utcnow
from api.directory import queries as directory
from api.directory.identifiers import is_valid_ins
from api.dossier import formats, search, text
from api.dossier.document_types import document_types
from api.dossier.models import DepositIdempotencyKey, Document
from api.dossier.records import DocumentRecord, DocumentStatus
from api.errors import BadUserInput, Forbidden, NotFound
from api.identity.principal import PrincipalKind
from api.identity.scopes import Scope
from api.journal import outbox
from api.journal.records import AccessAction
from api.text import clean_text
from api.timezones import PARIS

COLUMNS = (
    Document.patient_id,
    Document.id,
    Document.type_code,
    Document.category,
    Document.title,
    Document.service_date,
    Document.deposited_at,
    Document.author_professional_id,
    Document.organization_id,
    Document.depositor_kind,
    Document.mime_type,
    Document.file_name,
    Document.size_bytes,
    Document.sha256,
    Document.status,
    Document.masked_from_professionals,
    Document.hidden_from_patient,
    Document.hidden_from_representatives,
    Document.masked_even_in_emergency,
    Document.replaces_id,
)
# How long a deposit's idempotency key is remembered (then pruned).
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# Upload content types that say nothing about the file.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True, slots=True)
class Upload:
    content: bytes
    file_name: str | None
    declared_type: str | None


@dataclass(frozen=True, slots=True)
class DocumentCriteria:
    """The filters of CONTRACT.graphql's DocumentFilter."""

    categories: tuple[str, ...] = ()
    type_codes: tuple[str, ...] = ()
    author_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    service_date_from: date | None = None
    service_date_to: date | None = None
    include_replaced: bool = False


class DocumentOrder(StrEnum):
    """The orders of CONTRACT.graphql's DocumentOrder; each ends on the id (descending)."""

    SERVICE_DATE_DESC = "SERVICE_DATE_DESC"
    DEPOSITED_AT_DESC = "DEPOSITED_AT_DESC"
    RELEVANCE = "RELEVANCE"


@dataclass(frozen=True, slots=True)
class DocumentPosition:
    """A document's place in an order, for keyset pagination: its sort key (the
    service date, possibly None, for SERVICE_DATE_DESC; the relevance score for
    RELEVANCE; unused for DEPOSITED_AT_DESC, ids being time-ordered) and its id."""

    id: uuid.UUID
    key: date | int | None = None


@dataclass(frozen=True, slots=True)
class DepositRequest:
    patient_id: uuid.UUID | None
    patient_ins: str | None
    title: str
    type_code: str
    service_date: date | None
    hidden_from_patient: bool
    replaces_id: uuid.UUID | None = None
    idempotency_key: str | None = None

    def fingerprint(self, content_sha256: str) -> str:
        """What makes two deposits the same request."""
        parts = [
            self.patient_id,
            self.patient_ins,
            self.title,
            self.type_code,
            self.service_date,
            self.hidden_from_patient,
            self.replaces_id,
            content_sha256,
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()


async def _deposit_space(access: Access, request: DepositRequest) -> SpaceAccess:
    principal = access.principal
    if principal.feed:
        # A feed names the patient by INS: it may not read, so it cannot know ids.
        ins = (request.patient_ins or "").strip().upper()
        if not is_valid_ins(ins):
            raise BadUserInput("A deposit feed names the patient by a valid INS.", field="patientIns")
        async with access.database.read() as connection:
            patient_id = await directory.patient_id_by_ins(connection, ins)
        facts = await access.facts(patient_id) if patient_id else None
        if patient_id is None or facts is None or not may_deposit_as_feed(principal, facts):
            raise NotFound("No open space has this INS.")
        return SpaceAccess(patient_id, facts, SpaceDecision(True, Relation.CARE_TEAM))
    if request.patient_id is None:
        raise BadUserInput("Name the patient: patientId.", field="patientId")
    return await access.space(request.patient_id, Action.CREATE, SpacePart.DOCUMENTS)


def checked_title(title: str) -> str:
    """A document's (or a message file's) title, cleaned; BAD_USER_INPUT on `title`."""
    return clean_text(title, field="title", min_length=1, max_length=300, what="The title")


def checked_content(upload: Upload, max_bytes: int) -> str:
    """The MIME type of a new file's content, a document's or a message's: BAD_USER_INPUT
    on `file` when it is empty, too large, of no format of ours, or not what it was announced as."""
    if not upload.content:
        raise BadUserInput("The file is empty.", field="file")
    if len(upload.content) > max_bytes:
        raise BadUserInput(f"The file is larger than {max_bytes} bytes.", field="file")
    mime_type = formats.detect(upload.content)
    declared = (upload.declared_type or "").split(";")[0].strip().lower()
    if (
        declared not in GENERIC_TYPES
        and declared != mime_type
        and not (declared in {"text/xml", "application/xml"} and mime_type == formats.CDA)
    ):
        raise BadUserInput(f"The file is {mime_type}, not {declared} as announced.", field="file")
    return mime_type


def checked_document(type_code: str, title: str, upload: Upload, max_bytes: int) -> tuple[str, str, str]:
    """(category, title, mime type) of any new document, deposited or imported;
    BAD_USER_INPUT naming the field."""
    known = document_types().types.get(type_code)
    if known is None:
        raise BadUserInput(
            f"Unknown document type {type_code!r} (a LOINC code of the list).", field="typeCode"
        )
    title = checked_title(title)
    return known.category, title, checked_content(upload, max_bytes)


def _validate(
    access: Access, request: DepositRequest, upload: Upload, max_bytes: int
) -> tuple[str, str, str]:
    """(category, title, mime type), or BAD_USER_INPUT naming the field."""
    checked = checked_document(request.type_code, request.title, upload, max_bytes)
    if request.idempotency_key is not None:
        clean_text(
            request.idempotency_key, field="idempotencyKey", min_length=1, max_length=100, what="The key"
        )
    if request.hidden_from_patient and access.principal.kind is not PrincipalKind.PROFESSIONAL:
        raise BadUserInput(
            "Only a professional hides a document from the patient.", field="hiddenFromPatient"
        )
    return checked


@dataclass(frozen=True, slots=True)
class CheckedDeposit:
    """A deposit whose space, rights and input were checked; nothing stored yet."""

    granted: SpaceAccess
    request: DepositRequest
    upload: Upload
    category: str
    title: str
    mime_type: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class PreparedDeposit:
    """A checked deposit with its blob stored: `write_deposit` makes it a document."""

    granted: SpaceAccess
    request: DepositRequest
    row: dict[str, Any]
    words: SearchWords
    fingerprint: str


async def check_deposit(
    access: Access, request: DepositRequest, upload: Upload, *, max_bytes: int
) -> CheckedDeposit:
    """The space (FORBIDDEN outside it) and the input (BAD_USER_INPUT naming the field)."""
    granted = await _deposit_space(access, request)
    category, title, mime_type = _validate(access, request, upload, max_bytes)
    fingerprint = request.fingerprint(hashlib.sha256(upload.content).hexdigest())
    return CheckedDeposit(granted, request, upload, category, title, mime_type, fingerprint)


async def prepare_deposit(access: Access, contents: Contents, checked: CheckedDeposit) -> PreparedDeposit:
    """What precedes the transaction: the version replaced, the sealed blob, the words to index."""
    request, granted = checked.request, checked.granted
    replaced = await _replaceable(access, granted, request.replaces_id) if request.replaces_id else None
    principal = access.principal
    # The blob first: a crash leaves at worst an orphan blob, never a row without content.
    sealed = await contents.seal(granted.patient_id, checked.upload.content)
    row = {
        "patient_id": granted.patient_id,
        "type_code": request.type_code,
        "category": checked.category,
        "title": checked.title,
        "service_date": request.service_date,
        "deposited_at": utcnow(),
        "author_professional_id": principal.professional_id,
        "organization_id": principal.organization_id,
        "depositor_kind": "FEED" if principal.feed else principal.kind.value,
        "depositor_account_id": principal.account_id,
        "client_id": principal.client_id,
        "mime_type": checked.mime_type,
        "file_name": formats.safe_file_name(checked.upload.file_name, checked.mime_type),
        "size_bytes": sealed.size_bytes,
        "sha256": sealed.sha256,
        "blob_key": sealed.blob_key,
        "status": DocumentStatus.CURRENT.value,
        # A new version keeps who may not see the old one (the patient's masking included).
        "masked_from_professionals": bool(replaced and replaced.masked_from_professionals),
        "hidden_from_patient": request.hidden_from_patient or bool(replaced and replaced.hidden_from_patient),
        "hidden_from_representatives": bool(replaced and replaced.hidden_from_representatives),
        "masked_even_in_emergency": bool(replaced and replaced.masked_even_in_emergency),
        "replaces_id": request.replaces_id,
    }
    author = (
        principal.display_name if principal.kind is PrincipalKind.PROFESSIONAL and not principal.feed else ""
    )
    words = await searchable_words(
        access.database.engine.dialect.name, row, checked.upload.content, author, principal.organization_name
    )
    return PreparedDeposit(granted, request, row, words, checked.fingerprint)


async def write_deposit(
    connection: AsyncConnection, access: Access, prepared: PreparedDeposit
) -> DocumentRecord:
    """The rows of a deposit (and of its idempotency key), its journal entry and its
    notice, in the caller's transaction: a deposit's own, or that of a message whose
    file goes into the dossier too, so that both are kept or neither."""
    request, granted, principal = prepared.request, prepared.granted, access.principal
    if request.replaces_id is not None:
        # Only a current version is replaced: of two concurrent new versions, one wins.
        replaced = await connection.execute(
            update(Document)
            .where(
                Document.patient_id == granted.patient_id,
                Document.id == request.replaces_id,
                Document.status == DocumentStatus.CURRENT.value,
            )
            .values(status=DocumentStatus.REPLACED.value)
        )
        if not replaced.rowcount:
            raise BadUserInput("This document was already replaced.", field="replacesId")
    record = await insert_document(connection, prepared.row, prepared.words)
    if request.idempotency_key is not None:
        # An expired use of the key makes way; then, in the deposit's transaction, a
        # concurrent twin fails on the key (CONFLICT) and creates nothing.
        await connection.execute(
            delete(DepositIdempotencyKey).where(
                DepositIdempotencyKey.account_id == principal.account_id,
                DepositIdempotencyKey.client_id == principal.client_id,
                DepositIdempotencyKey.key == request.idempotency_key,
                DepositIdempotencyKey.created_at <= utcnow() - IDEMPOTENCY_WINDOW,
            )
        )
        await connection.execute(
            insert(DepositIdempotencyKey).values(
                account_id=principal.account_id,
                client_id=principal.client_id,
                key=request.idempotency_key,
                request_sha256=prepared.fingerprint,
                document_id=record.id,
                created_at=utcnow(),
            )
        )
    await access.write_entry(connection, granted, AccessAction.CREATE, "Document", record.id)
    # A document hidden from its patient is announced in person; the release job
    # later says only that the dossier changed.
    if not record.hidden_from_patient and await wants_document_notices(connection, granted.patient_id):
        await outbox.emit(
            connection,
            outbox.EventKind.DOCUMENT_DEPOSITED,
            granted.patient_id,
            {
                "documentId": str(record.id),
                "typeCode": record.type_code,
                "by": principal.display_name,
                "title": record.title,
            },
        )
    return record


async def deposit(
    access: Access, contents: Contents, request: DepositRequest, upload: Upload, *, max_bytes: int
) -> DocumentRecord:
    checked = await check_deposit(access, request, upload, max_bytes=max_bytes)
    if request.idempotency_key is not None:
        replayed = await _replay(access, request.idempotency_key, checked.fingerprint)
        if replayed is not None:
            return replayed
    prepared = await prepare_deposit(access, contents, checked)
    async with access.database.session() as session:
        return await write_deposit(await session.connection(), access, prepared)


@dataclass(frozen=True, slots=True)
class SearchWords:
    """What search finds a document by, ready to index on either dialect."""

    title: str
    rest: str  # type, author, organization and the document's own text
    sqlite: search.SqliteEntry | None


async def searchable_words(
    dialect: str, row: dict[str, Any], content: bytes, author: str | None, organization: str | None
) -> SearchWords:
    label = document_types().types[row["type_code"]].label_fr
    extracted = await asyncio.to_thread(text.extract, content, row["mime_type"])  # PDF parsing: off the loop
    rest = " ".join(part for part in (label, author, organization, extracted) if part)
    entry = await asyncio.to_thread(
        search.sqlite_entry, dialect, row["title"], rest
    )  # stemming: off the loop
    return SearchWords(row["title"], rest, entry)


async def insert_document(
    connection: AsyncConnection, row: dict[str, Any], words: SearchWords
) -> DocumentRecord:
    """Insert a document row (its blob already stored) and index its words, in the
    caller's transaction; the one way rows enter the dossier, deposited or imported."""
    vector = search.vector_value(connection.dialect.name, words.title, f"{words.title} {words.rest}")
    inserted = await connection.execute(
        insert(Document).values(**row, search_vector=vector).returning(*COLUMNS)
    )
    record = DocumentRecord(*inserted.one())
    await search.index_sqlite(connection, record.id, record.patient_id, words.sqlite)
    await inputs_changed(connection, record.patient_id)
    # For what processes documents after the commit (plugins' hooks), whoever may see it.
    await outbox.emit(
        connection,
        outbox.EventKind.DOCUMENT_ADDED,
        record.patient_id,
        {"documentId": str(record.id), "typeCode": record.type_code},
    )
    return record


def _visible_query(
    access: Access, granted: SpaceAccess, criteria: DocumentCriteria, words: str | None
) -> tuple[Select, ColumnElement[int] | None]:  # type: ignore[type-arg]
    """What the principal may see of this space, narrowed by the criteria and the
    search words; with words, also the relevance score of each document."""
    score = None
    query = select(*COLUMNS).where(
        Document.patient_id == granted.patient_id, visible_documents(access.principal, granted, Document)
    )
    if criteria.type_codes:
        query = query.where(Document.type_code.in_(criteria.type_codes))
    if criteria.author_id is not None:
        query = query.where(Document.author_professional_id == criteria.author_id)
    if criteria.organization_id is not None:
        query = query.where(Document.organization_id == criteria.organization_id)
    if criteria.service_date_from is not None:
        query = query.where(Document.service_date >= criteria.service_date_from)
    if criteria.service_date_to is not None:
        query = query.where(Document.service_date <= criteria.service_date_to)
    if words:
        matched = search.matching(query, access.database.engine.dialect.name, words, granted.patient_id)
        if matched is None:
            raise BadUserInput("Search with at least one word.", field="search")
        query, score = matched
    if not criteria.include_replaced:
        query = query.where(Document.status == DocumentStatus.CURRENT.value)
    if criteria.categories:
        query = query.where(Document.category.in_(criteria.categories))
    return query, score


async def _replay(access: Access, key: str, fingerprint: str) -> DocumentRecord | None:
    """The document a key already produced, or None; the same key for another
    request is an error (a client bug, never silently merged)."""
    async with access.database.read() as connection:
        found = (
            await connection.execute(
                select(DepositIdempotencyKey.request_sha256, DepositIdempotencyKey.document_id).where(
                    DepositIdempotencyKey.account_id == access.principal.account_id,
                    DepositIdempotencyKey.client_id == access.principal.client_id,
                    DepositIdempotencyKey.key == key,
                    DepositIdempotencyKey.created_at > utcnow() - IDEMPOTENCY_WINDOW,
                )
            )
        ).first()
    if found is None:
        return None
    if found.request_sha256 != fingerprint:
        raise BadUserInput("This idempotency key was used for another deposit.", field="idempotencyKey")
    async with access.database.read() as connection:
        row = (await connection.execute(select(*COLUMNS).where(Document.id == found.document_id))).first()
    gone = NotFound("The document of this idempotency key is no longer there for you.")
    if row is None:
        raise gone
    record = DocumentRecord(*row)
    # A replay answers like a read: never more than the caller may see now.
    facts = await access.facts(record.patient_id)
    if (
        document_decision(access.principal, facts, record.facts, Action.READ, utcnow())
        is not DocumentDecision.ALLOW
    ):
        raise gone
    granted = await access.space(record.patient_id, Action.READ, SpacePart.DOCUMENTS)
    access.read(granted, "Document", record.id)
    return record


async def _replaceable(access: Access, granted: SpaceAccess, document_id: uuid.UUID) -> DocumentRecord:
    """A new version replaces a current document of the same space that the
    depositor may change (its author, or the patient's side)."""
    async with access.database.read() as connection:
        row = (await connection.execute(select(*COLUMNS).where(Document.id == document_id))).first()
    record = DocumentRecord(*row) if row else None
    if record is None or record.patient_id != granted.patient_id:
        raise BadUserInput("No document of this space has this id.", field="replacesId")
    decision = document_decision(access.principal, granted.facts, record.facts, Action.UPDATE, utcnow())
    if decision is DocumentDecision.INVISIBLE:
        raise BadUserInput("No document of this space has this id.", field="replacesId")
    if decision is not DocumentDecision.ALLOW:
        raise Forbidden("You may not replace this document.")
    if record.status != DocumentStatus.CURRENT.value:
        raise BadUserInput("This document was already replaced.", field="replacesId")
    return record


async def _located(
    access: Access, document_id: uuid.UUID, action: Action, *, space: uuid.UUID | None = None
) -> tuple[DocumentRecord, str, DocumentDecision]:
    """One document, its blob key and the decision for this action; NOT_FOUND when
    it does not exist or is invisible to the principal, so the two look alike.
    With `space`, a document of another space does not exist either."""
    query = select(*COLUMNS, Document.blob_key).where(Document.id == document_id)
    if space is not None:
        query = query.where(Document.patient_id == space)
    async with access.database.read() as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        raise NotFound("No such document.")
    record, blob_key = DocumentRecord(*row[:-1]), row[-1]
    facts = await access.facts(record.patient_id)
    decision = document_decision(access.principal, facts, record.facts, action, utcnow())
    if decision is DocumentDecision.INVISIBLE:
        # Journaled without its id: which documents are kept from whom is not for the journal to tell.
        access.denied(facts, "Document")
        raise NotFound("No such document.")
    return record, blob_key, decision


async def delete_document(access: Access, contents: Contents, document_id: uuid.UUID) -> None:
    """The patient deletes any document they see; a professional only what they
    authored. The content leaves the store; the journal keeps the trace."""
    record, blob_key, decision = await _located(access, document_id, Action.DELETE)
    if decision is DocumentDecision.FORBIDDEN:
        raise Forbidden("You may not delete this document.")
    granted = await access.space(record.patient_id, Action.DELETE, SpacePart.DOCUMENTS)
    async with access.database.session() as session:
        connection = await session.connection()
        removed = await connection.execute(
            delete(Document).where(Document.patient_id == record.patient_id, Document.id == record.id)
        )
        if not removed.rowcount:
            raise NotFound("No such document.")
        await inputs_changed(connection, record.patient_id)
        await search.unindex_sqlite(connection, record.id)
        await access.write_entry(connection, granted, AccessAction.DELETE, "Document", record.id)
    # After the commit: a failure here leaves an orphan blob for `store gc`, never a dangling row.
    await contents.remove(blob_key)


async def download(
    access: Access, contents: Contents, document_id: uuid.UUID
) -> tuple[DocumentRecord, bytes]:
    """The content of a document the principal may download, journaled as DOWNLOAD."""
    record, blob_key, _ = await _located(access, document_id, Action.DOWNLOAD)
    granted = await access.space(record.patient_id, Action.DOWNLOAD, SpacePart.DOCUMENTS)
    if not access.principal.has_scope(Scope.DOCUMENTS_READ.value):
        raise Forbidden("This token may not read documents.")
    content = await contents.open(record.patient_id, blob_key, record.sha256)
    access.read(granted, "Document", record.id, download=True)
    return record, content


async def documents_page(
    access: Access,
    patient_id: uuid.UUID,
    *,
    limit: int,
    after: DocumentPosition | None,
    criteria: DocumentCriteria | None = None,
    words: str | None = None,
    order: DocumentOrder = DocumentOrder.DEPOSITED_AT_DESC,
) -> tuple[list[tuple[DocumentRecord, DocumentPosition]], Count, bool]:
    """One page in `order`, after `after`: each document with its position, how to
    count those the principal may see in all, and whether more follow. With `words`, only
    documents matching all of them (what a search returns is journaled too).
    Keyset pagination: a document deposited between two pages never repeats or
    shifts another one out of the listing."""
    granted = await access.space(patient_id, Action.READ, SpacePart.DOCUMENTS)
    if order is DocumentOrder.RELEVANCE and words is None:
        raise BadUserInput("Order by RELEVANCE only with a `search`.", field="orderBy")
    if words is not None:
        words = clean_text(words, field="search", min_length=1, max_length=200, what="The search")
    query, score = _visible_query(access, granted, criteria or DocumentCriteria(), words)
    key: ColumnElement | None = None  # type: ignore[type-arg]
    if order is DocumentOrder.RELEVANCE:
        key = score
        page_query = query.add_columns(key).order_by(key.desc(), Document.id.desc())  # type: ignore[union-attr]
    elif order is DocumentOrder.SERVICE_DATE_DESC:
        key = Document.service_date
        page_query = query.add_columns(key).order_by(key.desc().nulls_last(), Document.id.desc())
    else:
        page_query = query.order_by(Document.id.desc())
    if after is not None:
        page_query = page_query.where(_after(order, key, after))
    page_query = page_query.limit(limit + 1)
    async with access.database.read() as connection:
        rows = list(await connection.execute(page_query))
    width = len(COLUMNS)
    page = []
    for row in rows[:limit]:
        record = DocumentRecord(*row[:width])
        page.append((record, DocumentPosition(record.id, row[width] if key is not None else None)))
        access.read(granted, "Document", record.id)
    return page, count_of(access.database, query), len(rows) > limit


def _after(
    order: DocumentOrder,
    key: ColumnElement | None,  # type: ignore[type-arg]
    position: DocumentPosition,
) -> ColumnElement[bool]:
    """The documents that come after `position` in `order` (sort key descending, then id)."""
    later_id = Document.id < position.id
    if key is None:
        return later_id
    if order is DocumentOrder.SERVICE_DATE_DESC and position.key is None:
        # Undated documents come last, by id among themselves.
        return and_(key.is_(None), later_id)
    tail = [key.is_(None)] if order is DocumentOrder.SERVICE_DATE_DESC else []
    return or_(key < position.key, and_(key == position.key, later_id), *tail)


async def read_document(
    access: Access, document_id: uuid.UUID, *, space: uuid.UUID | None = None
) -> DocumentRecord:
    """One document; NOT_FOUND when it does not exist or the principal may not see it,
    and, with `space`, when it is not a document of that space: looked up there, before
    any decision on its own space and before its read is journaled."""
    record, _, _ = await _located(access, document_id, Action.READ, space=space)
    granted = await access.space(record.patient_id, Action.READ, SpacePart.DOCUMENTS)  # FORBIDDEN outside
    access.read(granted, "Document", record.id)
    return record


async def set_visibility(
    access: Access, document_id: uuid.UUID, changes: dict[VisibilityFlag, bool]
) -> DocumentRecord:
    """Change visibility flags; each change must be the principal's to make."""
    if not changes:
        raise BadUserInput("Nothing to change.")
    record, _, decision = await _located(access, document_id, Action.UPDATE)
    if decision is DocumentDecision.FORBIDDEN:
        raise Forbidden("You may not change this document.")
    granted = await access.space(record.patient_id, Action.UPDATE, SpacePart.DOCUMENTS)
    for flag, value in changes.items():
        if not may_change_visibility(access.principal, granted.relation, record.facts, flag, value):
            raise Forbidden(f"You may not change {flag.value} on this document.")
    async with access.database.session() as session:
        connection = await session.connection()
        updated = await connection.execute(
            update(Document)
            .where(Document.patient_id == record.patient_id, Document.id == record.id)
            .values({flag.value: value for flag, value in changes.items()})
            .returning(*COLUMNS)
        )
        await inputs_changed(connection, record.patient_id)
        record = DocumentRecord(*updated.one())
        await access.write_entry(connection, granted, AccessAction.UPDATE, "Document", record.id)
    return record


async def documents_to_export(
    access: Access, contents: Contents, patient_id: uuid.UUID, *, batch: int = 50
) -> AsyncIterator[tuple[DocumentRecord, bytes]]:
    """Every document of the space the principal may see, replaced versions
    included, in deposit order (ids are time-ordered), each with its content, a batch of rows at a time
    (a space's contents never sit in memory together). Unjournaled one by one:
    the export's own journal entry stands for it (api.interop)."""
    granted = await access.space(patient_id, Action.EXPORT, SpacePart.DOCUMENTS)
    after: uuid.UUID | None = None
    while True:
        query = select(*COLUMNS, Document.blob_key).where(
            Document.patient_id == granted.patient_id,
            visible_documents(access.principal, granted, Document),
        )
        if after is not None:
            query = query.where(Document.id > after)
        async with access.database.read() as connection:
            rows = (await connection.execute(query.order_by(Document.id).limit(batch))).all()
        for row in rows:
            record = DocumentRecord(*row[:-1])
            yield record, await contents.open(record.patient_id, row[-1], record.sha256)
        if len(rows) < batch:
            return
        after = rows[-1].id


async def present_document_ids(
    connection: AsyncConnection, patient_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are documents of the space (an import skips what is already here)."""
    found = await connection.scalars(
        select(Document.id).where(Document.patient_id == patient_id, Document.id.in_(ids))
    )
    return set(found)


async def mark_replaced(connection: AsyncConnection, patient_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """These documents of the space have a newer version now (an import brought it)."""
    if ids:
        await connection.execute(
            update(Document)
            .where(Document.patient_id == patient_id, Document.id.in_(ids))
            .values(status=DocumentStatus.REPLACED.value)
        )


async def exportable_ids(access: Access, patient_id: uuid.UUID) -> set[uuid.UUID]:
    """The ids of every document an export by this principal holds (to link versions)."""
    granted = await access.space(patient_id, Action.EXPORT, SpacePart.DOCUMENTS)
    async with access.database.read() as connection:
        found = await connection.scalars(
            select(Document.id).where(
                Document.patient_id == patient_id, visible_documents(access.principal, granted, Document)
            )
        )
        return set(found)


async def agenda_evidence(
    connection: AsyncConnection, patient_id: uuid.UUID
) -> list[tuple[str, str, str, date]]:
    """(id, type code, title, day of care) of the documents that may mark a prevention
    item done: never one still hidden from the patient or kept from the representatives
    (the agenda would tell them it exists)."""
    rows = await connection.execute(
        select(Document.id, Document.type_code, Document.title, Document.service_date, Document.deposited_at)
        .where(
            Document.patient_id == patient_id,
            documents_as_evidence(Document),
        )
        .order_by(Document.id)
    )
    return [
        (str(row.id), row.type_code, row.title, row.service_date or row.deposited_at.astimezone(PARIS).date())
        for row in rows
    ]


async def documents_by_ids(
    access: Access, patient_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[DocumentRecord]:
    """Those of these documents of the space the principal may read, in one
    statement (attachments of messages); each read journaled."""
    granted = await access.space(patient_id, Action.READ, SpacePart.DOCUMENTS)
    if not ids:
        return []
    async with access.database.read() as connection:
        rows = await connection.execute(
            select(*COLUMNS).where(
                Document.patient_id == patient_id,
                Document.id.in_(ids),
                visible_documents(access.principal, granted, Document),
            )
        )
        found = [DocumentRecord(*row) for row in rows]
    for record in found:
        access.read(granted, "Document", record.id)
    return found


async def visible_ids(access: Access, granted: SpaceAccess, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these documents of the space the principal may see, unjournaled:
    for what is derived from documents (a plugin's readings), journaled by its reader."""
    if not ids:
        return set()
    async with access.database.read() as connection:
        found = await connection.scalars(
            select(Document.id).where(
                Document.patient_id == granted.patient_id,
                Document.id.in_(ids),
                visible_documents(access.principal, granted, Document),
            )
        )
        return set(found)


async def evidence_ids(
    connection: AsyncConnection, patient_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these documents of the space may speak for a prevention item
    (api.access.agenda.documents_as_evidence)."""
    if not ids:
        return set()
    found = await connection.scalars(
        select(Document.id).where(
            Document.patient_id == patient_id, Document.id.in_(ids), documents_as_evidence(Document)
        )
    )
    return set(found)


@dataclass(frozen=True, slots=True)
class DocumentContent:
    record: DocumentRecord
    content: bytes


async def content_for_processing(
    connection: AsyncConnection, contents: Contents, patient_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentContent | None:
    """A document and its content for the platform's own processing after a deposit
    (never shown to anyone); None when it is gone or belongs to another space."""
    row = (
        await connection.execute(
            select(*COLUMNS, Document.blob_key).where(
                Document.id == document_id, Document.patient_id == patient_id
            )
        )
    ).first()
    if row is None:
        return None
    record = DocumentRecord(*row[:-1])
    return DocumentContent(record, await contents.open(patient_id, row[-1], record.sha256))
