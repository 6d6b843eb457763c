"""GET /documents/{id}/content: the bytes of a document, through a signed link.

The policy is asked again at fetch time and the download is journaled before
any byte leaves; the answer is never cached. The answers themselves
(`error_response`, `integrity_failure`, `content_response`) serve every
content route alike (a message's files too).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.access.service import Access
from api.contents.crypto import ContentIntegrityError
from api.dossier import service
from api.errors import ErrorCode, EspaceError, Unauthenticated
from api.graphql.errors import error_body
from api.identity.service import principal_from_claims

STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
}

logger = logging.getLogger("api.dossier")


def error_response(error: EspaceError) -> JSONResponse:
    return JSONResponse(error_body(error.message, error.code), status_code=STATUS.get(error.code, 400))


def integrity_failure() -> JSONResponse:
    return JSONResponse(
        error_body("The content failed its integrity check.", ErrorCode.SERVICE_UNAVAILABLE),
        status_code=503,
    )


def content_response(content: bytes, *, mime_type: str, file_name: str, sha256: str) -> Response:
    """The bytes as an attachment to save, never rendered inline nor cached."""
    return Response(
        content,
        media_type=mime_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file_name)}",
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class Fetched(Protocol):
    mime_type: str
    file_name: str
    sha256: str


async def serve_signed(
    request: Request,
    *,
    object_id: str,
    missing: str,
    verify: Callable[[str, uuid.UUID], dict[str, Any]],
    fetch: Callable[[Access, uuid.UUID], Awaitable[tuple[Fetched, bytes]]],
) -> Response:
    """Any content behind a signed link: the link checked for this object, the
    policy asked again by `fetch`, the read journaled before the first byte."""
    state = request.app.state
    try:
        wanted = uuid.UUID(object_id)
    except ValueError:
        return JSONResponse(error_body(missing, ErrorCode.NOT_FOUND), status_code=404)
    access: Access | None = None
    try:
        link = request.query_params.get("link")
        if not link:
            raise Unauthenticated("A signed link is required.")
        claims = verify(link, wanted)
        principal = await principal_from_claims(state.database, claims)
        access = Access(principal, state.database)
        record, content = await fetch(access, wanted)
        await access.flush()  # the journal first: no entry, no bytes
    except EspaceError as error:
        if access is not None:
            await _journal_refusal(access)
        return error_response(error)
    except ContentIntegrityError:
        return integrity_failure()
    return content_response(
        content, mime_type=record.mime_type, file_name=record.file_name, sha256=record.sha256
    )


async def _journal_refusal(access: Access) -> None:
    """A refusal on a real space is journaled too; if the journal cannot be written, the
    refusal is answered all the same (it gives nothing away) and the failure logged."""
    try:
        await access.flush()
    except Exception:
        logger.exception("the journal entry of a refused download could not be written")


async def download(request: Request) -> Response:
    state = request.app.state
    return await serve_signed(
        request,
        object_id=request.path_params["document_id"],
        missing="No such document.",
        verify=state.content_links.verify,
        fetch=lambda access, document_id: service.download(access, state.contents, document_id),
    )
