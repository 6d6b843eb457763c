"""Free text from callers: refused when it carries control characters (a NUL
byte alone makes PostgreSQL fail) or exceeds its length, before any query."""

from __future__ import annotations

import re

from api.errors import BadUserInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(
    value: str, *, field: str, min_length: int = 0, max_length: int = 2000, what: str = "This text"
) -> str:
    """The stripped text, or BAD_USER_INPUT naming `field`."""
    if _CONTROL.search(value):
        raise BadUserInput(f"{what} contains control characters.", field=field)
    value = value.strip()
    if len(value) < min_length:
        raise BadUserInput(f"{what} needs at least {min_length} characters.", field=field)
    if len(value) > max_length:
        raise BadUserInput(f"{what} takes at most {max_length} characters.", field=field)
    return value


CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")


def is_client_id(value: str | None) -> bool:
    """The shape of every catalogue client id (see the manifest model)."""
    return bool(value) and CLIENT_ID.match(value or "") is not None
