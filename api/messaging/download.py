"""GET /messages/files/{id}/content: the bytes of a file sent with a message,
through a signed link, exactly as a document's (api.dossier.download): the
thread rules are asked again at fetch time, the download is journaled before
any byte leaves, and the answer is never cached."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.access.service import Access
from api.contents.crypto import ContentIntegrityError
from api.dossier.download import content_response, error_response, integrity_failure
from api.errors import ErrorCode, EspaceError, Unauthenticated
from api.graphql.errors import error_body
from api.identity.service import principal_from_claims
from api.messaging import service


async def download_file(request: Request) -> Response:
    state = request.app.state
    try:
        file_id = uuid.UUID(request.path_params["file_id"])
    except ValueError:
        return JSONResponse(error_body("No such file.", ErrorCode.NOT_FOUND), status_code=404)
    try:
        link = request.query_params.get("link")
        if not link:
            raise Unauthenticated("A signed link is required.")
        claims = state.content_links.verify_message_file(link, file_id)
        principal = await principal_from_claims(state.database, claims)
        access = Access(principal, state.database)
        record, content = await service.download_file(access, state.contents, file_id)
        await access.flush()  # the journal first: no entry, no bytes
    except EspaceError as error:
        return error_response(error)
    except ContentIntegrityError:
        return integrity_failure()
    return content_response(
        content, mime_type=record.mime_type, file_name=record.file_name, sha256=record.sha256
    )
