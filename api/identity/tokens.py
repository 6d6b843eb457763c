"""Access tokens: signed JWTs in the RFC 9068 profile (`typ: at+jwt`).

Why JWTs rather than opaque tokens: the API verifies a token without a
database round trip, and other resource servers can verify it from the
published key. What a JWT cannot do alone (revocation, blocks, suspended apps)
is checked against the database when the principal is resolved.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jwt import JWTClaimsRegistry

from api.errors import Unauthenticated

ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
# Accepted clock difference between this service and the token's issuer.
LEEWAY_SECONDS = 30


class AccessTokens:
    """Mints and verifies this service's access tokens with one signing key."""

    def __init__(self, key: ECKey, *, issuer: str, audience: str) -> None:
        self._key = key
        self._public_key = ECKey.import_key(key.as_dict(private=False))
        self._key_id = key.thumbprint()
        self.issuer = issuer
        self.audience = audience
        self._claims = JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
            client_id={"essential": True},
        )

    def mint(
        self,
        *,
        subject: str,
        client_id: str,
        scopes: Iterable[str],
        ttl: timedelta,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            **(extra_claims or {}),
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "client_id": client_id,
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + int(ttl.total_seconds()),
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": self._key_id}
        return jwt.encode(header, claims, self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or Unauthenticated: bad signature or algorithm
        (`none` included), wrong type, issuer or audience, expired, malformed."""
        try:
            decoded = jwt.decode(token, self._public_key, algorithms=[ALGORITHM])
            if decoded.header.get("typ") != TOKEN_TYPE:
                raise Unauthenticated("The token is not an access token.")
            self._claims.validate(decoded.claims)
        except JoseError as error:
            raise Unauthenticated(f"Invalid token: {error.description or error.error}.") from error
        except (ValueError, TypeError) as error:
            raise Unauthenticated("Invalid token: malformed.") from error
        return decoded.claims

    def public_jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set that verifies this service's tokens."""
        return {"keys": [{**self._public_key.as_dict(), "kid": self._key_id, "alg": ALGORITHM, "use": "sig"}]}
