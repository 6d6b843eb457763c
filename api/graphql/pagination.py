"""Page sizes and opaque cursors of connections."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Protocol

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


class _Edge(Protocol):
    cursor: str


def page_info(edges: Sequence[_Edge], *, more: bool, after: str | None) -> PageInfo:
    """The PageInfo of a forward page of `edges`."""
    return PageInfo(
        has_next_page=more,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


# Keyset cursors: a sort key packed above a row's 128-bit id.
_ID_BITS = 128


def encode_keyset(kind: str, key: int, row_id: uuid.UUID) -> str:
    return encode_cursor(kind, key << _ID_BITS | row_id.int)


def decode_keyset(kind: str, cursor: str | None, *, key_bits: int) -> tuple[int, uuid.UUID] | None:
    """(sort key, id) of a keyset cursor of `kind`, or None without a cursor;
    BAD_USER_INPUT for anything else."""
    position = decode_cursor(kind, cursor, maximum=1 << (_ID_BITS + key_bits))
    if position is None:
        return None
    return position >> _ID_BITS, uuid.UUID(int=position & ((1 << _ID_BITS) - 1))


def encode_day_keyset(kind: str, day: date, row_id: uuid.UUID) -> str:
    return encode_keyset(kind, day.toordinal(), row_id)


def decode_day_keyset(kind: str, cursor: str | None) -> tuple[date, uuid.UUID] | None:
    """(day, id) of a cursor of a list ordered by day then id."""
    found = decode_keyset(kind, cursor, key_bits=22)  # date.max's ordinal fits in 22 bits
    if found is None:
        return None
    try:
        return date.fromordinal(found[0]), found[1]
    except ValueError as error:
        raise BadUserInput("This cursor is not valid here.", field="after") from error
