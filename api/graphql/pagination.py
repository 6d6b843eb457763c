"""Page sizes and opaque cursors of connections."""

from __future__ import annotations

import base64
import binascii

import strawberry

from api.errors import BadUserInput

MAX_PAGE_SIZE = 100
# Cursors wrap positions, sequence numbers or 128-bit ids: nothing larger.
MAX_CURSOR = 1 << 128
MAX_SQL_INTEGER = 1 << 63


def page_size(first: int | None, *, maximum: int = MAX_PAGE_SIZE) -> int:
    """`first` is required on unbounded lists, between 1 and `maximum`."""
    if first is None:
        raise BadUserInput(f"Give `first` (1 to {maximum}).", field="first")
    if not 1 <= first <= maximum:
        raise BadUserInput(f"`first` must be between 1 and {maximum}.", field="first")
    return first


def encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None, *, maximum: int = MAX_CURSOR) -> int | None:
    if cursor is None:
        return None
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        position = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadUserInput("This cursor is not valid here.", field="after") from error
    if prefix != kind or not 0 <= position < maximum:
        raise BadUserInput("This cursor is not valid here.", field="after")
    return position


@strawberry.type(description="Where a page of a connection stands (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; pass it as `after`.")
