"""GET /agenda/{secret}.ics: the agenda as an iCalendar feed for calendar apps.

The secret is the only credential (calendar apps send no token); an unknown
or revoked one is 404, like a link that never existed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.agenda import feed
from api.db import utcnow
from api.errors import ErrorCode
from api.graphql.errors import error_body


async def agenda_feed(request: Request) -> Response:
    database = request.app.state.database
    patient_id = await feed.space_of_secret(database, request.path_params["secret"])
    if patient_id is None:
        return JSONResponse(error_body("No such calendar.", ErrorCode.NOT_FOUND), status_code=404)
    items = await feed.service.items_for_feed(database, patient_id)
    return Response(
        feed.calendar(items, now=utcnow()),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
