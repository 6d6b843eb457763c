"""Envelope encryption with AES-256-GCM (the cryptography package).

Each space has a data key; the master key (from settings) only wraps data
keys, so rotating it re-wraps keys without touching contents. Every
ciphertext is bound to where it belongs (associated data), so a blob moved
to another space or document does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class ContentIntegrityError(Exception):
    """A blob or a wrapped key does not decrypt: altered, moved, or the wrong key."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def parse_master_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the content master key is not base64") from error
    if len(key) != KEY_BYTES:
        raise ValueError("the content master key must be 32 bytes (base64 of 32 random bytes)")
    return key


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
    except (InvalidTag, ValueError) as error:
        raise ContentIntegrityError("content does not decrypt") from error
