"""The key that signs access tokens.

Production takes it from ESPACE_TOKEN_SIGNING_KEY; development generates one
into var/ on first use, so a fresh clone needs no set-up and tokens survive
restarts.
"""

from __future__ import annotations

import os

from joserfc.jwk import ECKey

from api.settings import Settings


class SigningKeyMissing(RuntimeError):
    """Production was started without a token signing key."""


def load_signing_key(settings: Settings) -> ECKey:
    if settings.token_signing_key is not None:
        key = ECKey.import_key(settings.token_signing_key.get_secret_value())
    elif settings.is_production:
        raise SigningKeyMissing("ESPACE_TOKEN_SIGNING_KEY is required in production.")
    else:
        key = _development_key(settings)
    if not key.is_private:
        raise ValueError("the token signing key must be a private key")
    return key


def _development_key(settings: Settings) -> ECKey:
    path = settings.dev_signing_key_path
    if path.exists():
        return ECKey.import_key(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ECKey.generate_key("P-256")
    pem = key.as_pem(private=True)
    # Created owner-only; a concurrent first start may race, the loser reads the winner's.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return ECKey.import_key(path.read_bytes())
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def generate_signing_key_pem() -> str:
    """A new EC P-256 private key in PEM, for ESPACE_TOKEN_SIGNING_KEY."""
    return ECKey.generate_key("P-256").as_pem(private=True).decode()
