"""GET /agenda/{secret}.ics: the agenda as an iCalendar feed for calendar apps.

The secret is the only credential (calendar apps send no token); an unknown
or revoked one is 404, like a link that never existed.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.agenda import feed
from api.db import utcnow
from api.errors import ErrorCode
from api.graphql.errors import error_body


async def agenda_feed(request: Request) -> Response:
    database = request.app.state.database
    opened = await feed.open_feed(database, request.path_params["secret"])
    if opened is None:
        return JSONResponse(error_body("No such calendar.", ErrorCode.NOT_FOUND), status_code=404)
    access, patient_id = opened
    items = await feed.service.items_for_feed(database, patient_id)
    await access.flush()  # the journal first: no entry, no calendar
    return Response(
        feed.calendar(items, now=utcnow()),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


class RedactFeedSecrets(logging.Filter):
    """The secret is the link's only credential: access logs show it redacted."""

    _SECRET = re.compile(r"/agenda/[^/\s\"]+\.ics")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                self._SECRET.sub("/agenda/***.ics", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True
