"""GraphQL of the dossier: documents, their listing and their deposit."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload

from api.access.policy import VisibilityFlag
from api.db import Count
from api.directory import service as directory
from api.directory.types import Organization, PatientFields, Professional
from api.dossier import service
from api.dossier.document_types import document_types
from api.dossier.records import DocumentRecord, DocumentStatus
from api.dossier.service import DocumentOrder, DocumentPosition
from api.errors import BadUserInput, NotFound
from api.graphql.context import Info
from api.graphql.enums import PrincipalKind
from api.graphql.ids import decode_id
from api.graphql.pagination import (
    MAX_CURSOR,
    MAX_SQL_INTEGER,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_info,
    page_size,
)
from api.graphql.payloads import UserError
from api.graphql.permissions import first_party_only, scoped
from api.identity.scopes import Scope

CURSOR_KIND = "documents"
# Cursors of the other orders carry their sort key too: "<kind>:<key>:<id>".
KEYED_CURSOR_KINDS = {
    DocumentOrder.SERVICE_DATE_DESC: "documents.serviceDate",
    DocumentOrder.RELEVANCE: "documents.relevance",
}
MAX_CURSOR_LENGTH = 200

strawberry.enum(DocumentStatus, description="CURRENT, or REPLACED by a newer version.")
strawberry.enum(
    DocumentOrder,
    description="How documents are listed: SERVICE_DATE_DESC (care date, newest first, undated last), "
    "DEPOSITED_AT_DESC (newest deposit first, the default), RELEVANCE (best match first; with `search`).",
)


def document_cursor(order: DocumentOrder, position: DocumentPosition) -> str:
    """An opaque cursor: the order it belongs to, the sort key and the id."""
    kind = KEYED_CURSOR_KINDS.get(order)
    if kind is None:
        # DEPOSITED_AT_DESC keeps the cursors it always had: ids are time-ordered.
        return encode_cursor(CURSOR_KIND, position.id.int)
    key = "" if position.key is None else str(position.key)
    return base64.urlsafe_b64encode(f"{kind}:{key}:{position.id.int}".encode()).decode()


def document_position(order: DocumentOrder, cursor: str | None) -> DocumentPosition | None:
    """The position a cursor of this order names; BAD_USER_INPUT for anything else
    (garbage, tampering, a cursor of another order or connection)."""
    kind = KEYED_CURSOR_KINDS.get(order)
    if kind is None:
        position = decode_cursor(CURSOR_KIND, cursor, maximum=MAX_CURSOR)
        return None if position is None else DocumentPosition(uuid.UUID(int=position))
    if cursor is None:
        return None
    invalid = BadUserInput("This cursor is not valid here.", field="after")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        prefix, key, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        document_id = int(value)
        if prefix != kind or not 0 <= document_id < MAX_CURSOR:
            raise invalid
        if order is DocumentOrder.RELEVANCE:
            score = int(key)
            if not 0 <= score < MAX_SQL_INTEGER:
                raise invalid
            return DocumentPosition(uuid.UUID(int=document_id), score)
        return DocumentPosition(uuid.UUID(int=document_id), date.fromisoformat(key) if key else None)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise invalid from error


@strawberry.enum(description="The kind of document.")
class DocumentCategory(Enum):
    REPORT = "REPORT"
    PRESCRIPTION = "PRESCRIPTION"
    LAB_RESULT = "LAB_RESULT"
    IMAGING = "IMAGING"
    DISCHARGE_LETTER = "DISCHARGE_LETTER"
    VACCINATION = "VACCINATION"
    CERTIFICATE = "CERTIFICATE"
    OTHER = "OTHER"


@strawberry.type(description="Who may not see a document.")
class DocumentVisibility:
    masked_from_professionals: bool = strawberry.field(description="Masked from professionals (MASQUE_PS).")
    hidden_from_patient: bool = strawberry.field(description="Hidden from the patient (INVISIBLE_PATIENT).")
    hidden_from_representatives: bool = strawberry.field(
        description="Hidden from legal representatives (INVISIBLE_REP_LEGAUX)."
    )
    masked_even_in_emergencies: bool = strawberry.field(description="Masked even under emergency access.")


@strawberry.type(description="A document of the dossier.")
class Document(relay.Node):
    id: relay.NodeID[str]
    title: str = strawberry.field(description="Title.")
    type_code: str = strawberry.field(description="LOINC code of the document type (CI-SIS list).")
    category: DocumentCategory = strawberry.field(description="Category of the type.")
    service_date: date | None = strawberry.field(description="Date of the care it describes.")
    deposited_at: datetime = strawberry.field(description="When it was deposited.")
    mime_type: str = strawberry.field(description="Format, recognized from the content.")
    file_name: str = strawberry.field(description="File name, sanitized.")
    size_bytes: int = strawberry.field(description="Size of the content.")
    sha256: str = strawberry.field(description="SHA-256 of the content.")
    status: DocumentStatus = strawberry.field(description="CURRENT or REPLACED.")
    visibility: DocumentVisibility = strawberry.field(description="Visibility flags.")
    record: strawberry.Private[DocumentRecord]

    @classmethod
    def from_record(cls, record: DocumentRecord) -> Document:
        return cls(
            id=str(record.id),
            title=record.title,
            type_code=record.type_code,
            category=DocumentCategory(record.category),
            service_date=record.service_date,
            deposited_at=record.deposited_at,
            mime_type=record.mime_type,
            file_name=record.file_name,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
            status=DocumentStatus(record.status),
            visibility=DocumentVisibility(
                masked_from_professionals=record.masked_from_professionals,
                hidden_from_patient=record.hidden_from_patient,
                hidden_from_representatives=record.hidden_from_representatives,
                masked_even_in_emergencies=record.masked_even_in_emergency,
            ),
            record=record,
        )

    @strawberry.field(description="Label of the document type, in French.")
    def type_label(self) -> str:
        known = document_types().types.get(self.record.type_code)
        return known.label_fr if known else self.record.type_code

    @strawberry.field(description="Who deposited it: a professional (or their software), the patient...")
    def deposited_by(self) -> PrincipalKind:
        kind = self.record.depositor_kind
        return PrincipalKind.PROFESSIONAL if kind == "FEED" else PrincipalKind(kind)

    @strawberry.field(
        description="A short-lived signed link to the content; the policy is asked again and the "
        "download journaled when it is fetched.",
        # Also reached from a deposit's payload: a write-only token gets no link.
        **scoped(Scope.DOCUMENTS_READ),
    )
    def content_url(self, info: Info) -> str | None:
        return info.context.content_links.url(info.context.require_principal(), self.record.id)

    @strawberry.field(
        description="The version this one replaces, if the caller may see it.",
        # Also reached from a deposit's payload: a write-only token reads nothing through it.
        **scoped(Scope.DOCUMENTS_READ),
    )
    async def replaces(self, info: Info) -> Document | None:
        if self.record.replaces_id is None:
            return None
        try:
            record = await service.read_document(info.context.require_access(), self.record.replaces_id)
        except NotFound:
            return None
        return Document.from_record(record)

    @strawberry.field(description="The author, for documents written by a professional.")
    async def author(self, info: Info) -> Professional | None:
        if self.record.author_professional_id is None:
            return None
        access = info.context.require_access()
        found = await directory.read_professional(
            access, info.context.loaders.professional_by_id, self.record.author_professional_id
        )
        return Professional.from_record(found) if found else None

    @strawberry.field(description="The organization it comes from.")
    async def organization(self, info: Info) -> Organization | None:
        if self.record.organization_id is None:
            return None
        access = info.context.require_access()
        found = await directory.read_organization(
            access, info.context.loaders.organization_by_id, self.record.organization_id
        )
        return Organization.from_record(found) if found else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Document | None]:
        access = info.context.require_access()
        return [
            cls.from_record(await service.read_document(access, uuid.UUID(node_id))) for node_id in node_ids
        ]


@strawberry.type(description="A document and its cursor.")
class DocumentEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this document.")
    node: Document = strawberry.field(description="The document.")


@strawberry.type(description="A page of documents, in the order asked (newest deposit first by default).")
class DocumentConnection:
    edges: list[DocumentEdge] = strawberry.field(description="The documents of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page stands.")
    counter: strawberry.Private[Count]

    @strawberry.field(description="Documents the caller may see, in all. Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.input(description="Narrow the documents.")
class DocumentFilter:
    categories: list[DocumentCategory] | None = strawberry.field(
        default=None, description="Only these categories."
    )
    type_codes: list[str] | None = strawberry.field(default=None, description="Only these LOINC type codes.")
    author_id: strawberry.ID | None = strawberry.field(default=None, description="Only by this professional.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only from this organization."
    )
    service_date_from: date | None = strawberry.field(default=None, description="Care on or after this day.")
    service_date_to: date | None = strawberry.field(default=None, description="Care on or before this day.")
    include_replaced: bool = strawberry.field(default=False, description="Also the versions replaced.")

    def criteria(self) -> service.DocumentCriteria:
        return service.DocumentCriteria(
            categories=tuple(category.value for category in self.categories or []),
            type_codes=tuple(self.type_codes or []),
            author_id=_node_id(self.author_id, "Professional", "filter.authorId"),
            organization_id=_node_id(self.organization_id, "Organization", "filter.organizationId"),
            service_date_from=self.service_date_from,
            service_date_to=self.service_date_to,
            include_replaced=self.include_replaced,
        )


def _node_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return decode_id(value, type_name)[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field=field) from error


@strawberry.type
class PatientDossierFields(PatientFields):
    """The dossier part of `Patient`."""

    @strawberry.field(
        description="Documents of the dossier the caller may see, newest deposit first unless `orderBy` "
        "says otherwise; what it may not see is neither returned nor counted. Each read by anyone but "
        "the patient is journaled.",
        **scoped(Scope.DOCUMENTS_READ),
    )
    async def documents(
        self,
        info: Info,
        *,
        first: int | None = None,
        after: str | None = None,
        filter: DocumentFilter | None = None,
        search: str | None = None,
        order_by: DocumentOrder | None = None,
    ) -> DocumentConnection | None:
        limit = page_size(first)
        order = order_by or DocumentOrder.DEPOSITED_AT_DESC
        page, total, more = await service.documents_page(
            info.context.require_access(),
            self.record.id,
            limit=limit,
            after=document_position(order, after),
            criteria=filter.criteria() if filter else None,
            words=search,
            order=order,
        )
        edges = [
            DocumentEdge(cursor=document_cursor(order, position), node=Document.from_record(record))
            for record, position in page
        ]
        return DocumentConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after=after),
            counter=total,
        )

    @strawberry.field(
        description="One document of this space; NOT_FOUND if the caller may not see it.",
        **scoped(Scope.DOCUMENTS_READ),
    )
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        access = info.context.require_access()
        return Document.from_record(
            await service.read_document(access, decode_id(id, "Document")[1], space=self.record.id)
        )


@strawberry.input(description="A document to deposit (GraphQL multipart request).")
class DepositDocumentInput:
    patient_id: strawberry.ID | None = strawberry.field(
        default=None, description="The space; deposit feeds name the patient by patientIns instead."
    )
    patient_ins: str | None = strawberry.field(
        default=None, description="For deposit feeds: the patient's INS."
    )
    title: str = strawberry.field(description="Title.")
    type_code: str = strawberry.field(description="LOINC code of the document type.")
    service_date: date | None = strawberry.field(default=None, description="Date of the care.")
    file: Upload = strawberry.field(description="The content (multipart upload).")
    hidden_from_patient: bool = strawberry.field(
        default=False, description="Professionals: to be announced in person before the patient sees it."
    )
    replaces_id: strawberry.ID | None = strawberry.field(
        default=None, description="A new version of this document, which becomes REPLACED."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Same key twice from the same principal: one document, same answer."
    )


async def read_upload(file: object) -> bytes:
    """The bytes of a multipart file; anything else in its place is a user error."""
    read = getattr(file, "read", None)
    if not callable(read):
        raise BadUserInput("Send the file as a multipart upload.", field="file")
    return await read()


def _replaces(value: strawberry.ID | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return decode_id(value, "Document")[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field="replacesId") from error


@strawberry.type(description="The document deposited.")
class DepositDocumentPayload:
    document: Document | None = strawberry.field(description="The document.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class DossierMutation:
    @strawberry.mutation(
        description="Deposit a document: professionals of the care team, deposit feeds (by INS), "
        "the patient.",
        **scoped(Scope.DOCUMENTS_WRITE),
    )
    async def deposit_document(self, info: Info, input: DepositDocumentInput) -> DepositDocumentPayload:
        access = info.context.require_access()
        try:
            request = service.DepositRequest(
                patient_id=decode_id(input.patient_id, "Patient")[1] if input.patient_id else None,
                patient_ins=input.patient_ins,
                title=input.title,
                type_code=input.type_code,
                service_date=input.service_date,
                hidden_from_patient=input.hidden_from_patient,
                replaces_id=_replaces(input.replaces_id),
                idempotency_key=input.idempotency_key,
            )
            content = await read_upload(input.file)
            upload = service.Upload(content, input.file.filename, input.file.content_type)
            record = await service.deposit(
                access,
                info.context.contents,
                request,
                upload,
                max_bytes=info.context.settings.upload_max_bytes,
            )
        except BadUserInput as error:
            return DepositDocumentPayload(document=None, user_errors=UserError.from_error(error))
        return DepositDocumentPayload(document=Document.from_record(record), user_errors=[])


@strawberry.input(description="Change who may see a document; omitted flags stay as they are.")
class SetDocumentVisibilityInput:
    document_id: strawberry.ID = strawberry.field(description="The document.")
    masked_from_professionals: bool | None = strawberry.field(
        default=None,
        description="The patient: mask it from professionals (author and médecin traitant excepted).",
    )
    masked_even_in_emergencies: bool | None = strawberry.field(
        default=None, description="The patient: keep it masked even under emergency access."
    )
    hidden_from_patient: bool | None = strawberry.field(
        default=None, description="Its author: false releases it to the patient."
    )
    hidden_from_representatives: bool | None = strawberry.field(
        default=None, description="The patient (a minor) or its author: hide it from legal representatives."
    )


@strawberry.type(description="The document a mutation changed.")
class DocumentPayload:
    document: Document | None = strawberry.field(description="The document, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class DossierVisibilityMutation:
    @strawberry.mutation(
        description="Change a document's visibility flags, as DOMAIN.md allows each one.",
        **first_party_only(Scope.DOCUMENTS_WRITE),
    )
    async def set_document_visibility(self, info: Info, input: SetDocumentVisibilityInput) -> DocumentPayload:
        changes = {
            flag: value
            for flag, value in (
                (VisibilityFlag.MASKED_FROM_PROFESSIONALS, input.masked_from_professionals),
                (VisibilityFlag.MASKED_EVEN_IN_EMERGENCY, input.masked_even_in_emergencies),
                (VisibilityFlag.HIDDEN_FROM_PATIENT, input.hidden_from_patient),
                (VisibilityFlag.HIDDEN_FROM_REPRESENTATIVES, input.hidden_from_representatives),
            )
            if value is not None
        }
        try:
            document_id = decode_id(input.document_id, "Document")[1]
            record = await service.set_visibility(info.context.require_access(), document_id, changes)
        except BadUserInput as error:
            return DocumentPayload(document=None, user_errors=UserError.from_error(error))
        return DocumentPayload(document=Document.from_record(record), user_errors=[])


@strawberry.type(description="What a deletion removed.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The id of what was deleted.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type
class DossierDeletionMutation:
    @strawberry.mutation(
        description="Delete a document: the patient any document they see, a professional only what they "
        "authored. Its content leaves the store; the journal keeps the trace.",
        **first_party_only(Scope.DOCUMENTS_WRITE),
    )
    async def delete_document(self, info: Info, id: strawberry.ID) -> DeletePayload:
        try:
            document_id = decode_id(id, "Document")[1]
            await service.delete_document(info.context.require_access(), info.context.contents, document_id)
        except BadUserInput as error:
            return DeletePayload(deleted_id=None, user_errors=UserError.from_error(error))
        return DeletePayload(deleted_id=id, user_errors=[])
