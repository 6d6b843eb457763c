"""Random secrets of the authorization server and their stored digests."""

from __future__ import annotations

import hashlib
import hmac

from authlib.common.security import generate_token


def new_secret(length: int = 48) -> str:
    """A URL-safe random secret (authorization codes, refresh tokens, client secrets)."""
    return generate_token(length)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
