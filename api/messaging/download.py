"""GET /messages/files/{id}/content: the bytes of a file sent with a message,
through a signed link, exactly as a document's (api.dossier.download): the
thread rules are asked again at fetch time, the download is journaled before
any byte leaves, and the answer is never cached."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.dossier.download import serve_signed
from api.messaging import service


async def download_file(request: Request) -> Response:
    state = request.app.state
    return await serve_signed(
        request,
        object_id=request.path_params["file_id"],
        missing="No such file.",
        verify=state.content_links.verify_message_file,
        fetch=lambda access, file_id: service.download_file(access, state.contents, file_id),
    )
