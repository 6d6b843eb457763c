"""After a lab result is deposited: read its HbA1c values into the plugin's table."""

from __future__ import annotations

import logging
import uuid

from api.dossier.document_types import document_types
from api.dossier.records import DocumentStatus
from api.plugin_context import HookContext
from api.plugins import HookEvent
from api.timezones import PARIS
from plugins.glycemia import extract, store

logger = logging.getLogger("plugins.glycemia")
LAB_RESULT = "LAB_RESULT"  # the category of lab reports in api/dossier/document_types.toml
SOURCES = {extract.CDA_MIME: "CDA", extract.FHIR_MIME: "FHIR"}


def _is_lab_result(type_code: object) -> bool:
    found = document_types().types.get(type_code) if isinstance(type_code, str) else None
    return found is not None and found.category == LAB_RESULT


async def on_document_added(event: HookEvent, context: HookContext) -> None:
    """Idempotent: a reading already stored for the document is not stored twice.
    Content that cannot be read leaves no reading and no error (the event is done)."""
    if event.patient_id is None or not _is_lab_result(event.payload.get("typeCode")):
        return
    try:
        document_id = uuid.UUID(str(event.payload.get("documentId")))
    except ValueError:
        logger.info("event %s names no document", event.id)
        return
    document = await context.document(event.patient_id, document_id)
    if document is None:
        return  # gone since
    if document.record.replaces_id is not None:
        # A corrected result: the values of the version it replaces are withdrawn,
        # even when this version was replaced in turn before its event came.
        await store.forget_document(context.connection, event.patient_id, document.record.replaces_id)
    if document.record.status == DocumentStatus.REPLACED:
        return  # replaced already: its successor's values stand
    if document.record.mime_type not in SOURCES:
        return  # a PDF or text report: nothing structured to read
    try:
        found = extract.readings(document.content, document.record.mime_type)
    except extract.UnreadableContent as error:
        logger.info("no HbA1c read from document %s: %s", document_id, error)
        return
    if not found:
        return
    record = document.record
    # An observation without its own date is dated by the document's care date.
    fallback = record.service_date or record.deposited_at.astimezone(PARIS).date()
    await store.store_readings(
        context.connection,
        event.patient_id,
        document_id,
        found,
        fallback_day=fallback,
        source=SOURCES[record.mime_type],
    )
