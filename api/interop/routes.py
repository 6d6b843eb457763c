"""GET /patients/{id}/fhir-export: the whole space as a FHIR Bundle, through a
signed link (Patient.fhirExportUrl).

The policy is asked again when the link is used and the export is journaled
before the first byte; the Bundle then streams out, never cached.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.access.service import Access
from api.contents.crypto import ContentIntegrityError
from api.dossier.download import STATUS
from api.errors import ErrorCode, EspaceError, Unauthenticated
from api.graphql.errors import error_body
from api.identity.service import principal_from_claims
from api.interop.export import SpaceExport, open_export

FHIR_JSON = "application/fhir+json"
logger = logging.getLogger(__name__)


async def fhir_export(request: Request) -> Response:
    state = request.app.state
    try:
        patient_id = uuid.UUID(request.path_params["patient_id"])
    except ValueError:
        return JSONResponse(error_body("No such space.", ErrorCode.NOT_FOUND), status_code=404)
    try:
        link = request.query_params.get("link")
        if not link:
            raise Unauthenticated("A signed link is required.")
        claims = state.content_links.verify_export(link, patient_id)
        principal = await principal_from_claims(state.database, claims)
        export = await open_export(Access(principal, state.database), state.contents, patient_id)
    except EspaceError as error:
        return JSONResponse(error_body(error.message, error.code), status_code=STATUS.get(error.code, 400))
    return StreamingResponse(
        _stream(export),
        media_type=FHIR_JSON,
        headers={
            "Content-Disposition": f'attachment; filename="espace-sante-{patient_id}.fhir.json"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _stream(export: SpaceExport) -> AsyncIterator[bytes]:
    try:
        async for chunk in export.chunks():
            yield chunk
    except ContentIntegrityError:
        # Headers are gone: cut the stream so the client sees a broken file, not a short one.
        logger.exception("export of %s stopped: a content failed its integrity check", export.patient.id)
        raise
