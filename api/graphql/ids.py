"""Opaque global ids: every entity is a Relay `Node` whose id wraps its UUID."""

from __future__ import annotations

import uuid

from strawberry import relay

from api.errors import BadUserInput


def encode_id(type_name: str, pk: uuid.UUID) -> str:
    return str(relay.GlobalID(type_name, str(pk)))


def decode_id(value: str, expected_type: str | None = None) -> tuple[str, uuid.UUID]:
    """The type name and UUID inside a global id; BAD_USER_INPUT if it is not one
    (or not of `expected_type`)."""
    try:
        global_id = relay.GlobalID.from_id(value)
        pk = uuid.UUID(global_id.node_id)
    except (ValueError, TypeError) as error:
        raise BadUserInput(f"{value!r} is not a valid id.", field="id") from error
    if expected_type is not None and global_id.type_name != expected_type:
        raise BadUserInput(f"{value!r} is not the id of a {expected_type}.", field="id")
    return global_id.type_name, pk
