"""Logs: one JSON object per line in production (ESPACE_LOG_FORMAT=json), each with the
request id of the request it belongs to, and no patient data: SQL parameters are kept
out of database errors (the engine's hide_parameters), feed secrets and GraphQL query
strings (GET persisted queries carry their variables) out of access logs."""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by RequestIdMiddleware for the duration of each request.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RedactQueryStrings(logging.Filter):
    """Access log lines show /graphql without its query string: GET persisted queries
    carry their variables there (search words, ids)."""

    _QUERY = re.compile(r"(/graphql)\?.*", re.DOTALL)  # each argument is the path alone

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                self._QUERY.sub(r"\1?***", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(level: str, log_format: str) -> dict[str, Any]:
    """uvicorn's logging configuration: the app's loggers and uvicorn's, one format."""
    formatter = (
        {"()": "api.logs.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(levelname)s %(name)s: %(message)s"}
    )
    filters = ["request_id", "redact_query_strings", "redact_feed_secrets"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "api.logs.RequestIdFilter"},
            "redact_query_strings": {"()": "api.logs.RedactQueryStrings"},
            "redact_feed_secrets": {"()": "api.agenda.routes.RedactFeedSecrets"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "filters": filters},
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level.upper()},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }
