"""Access tokens: what verification accepts and what it refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from api.errors import Unauthenticated
from api.identity.tokens import AccessTokens

ISSUER = "https://issuer.test"
AUDIENCE = "https://api.test"


@pytest.fixture(scope="module")
def key() -> ECKey:
    return ECKey.generate_key("P-256")


@pytest.fixture(scope="module")
def tokens(key: ECKey) -> AccessTokens:
    return AccessTokens(key, issuer=ISSUER, audience=AUDIENCE)


def _mint(tokens: AccessTokens, **overrides: object) -> str:
    return tokens.mint(
        subject="s", client_id="c", scopes=["agenda:read"], ttl=timedelta(minutes=5), **overrides
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_minted_token_verifies_with_rfc9068_claims(tokens: AccessTokens) -> None:
    claims = tokens.verify(_mint(tokens))
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == "s"
    assert claims["client_id"] == "c"
    assert claims["scope"] == "agenda:read"
    assert {"exp", "iat", "jti"} <= claims.keys()
    header = json.loads(base64.urlsafe_b64decode(_mint(tokens).split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"


def test_each_token_has_its_own_jti(tokens: AccessTokens) -> None:
    assert tokens.verify(_mint(tokens))["jti"] != tokens.verify(_mint(tokens))["jti"]


def test_alg_none_is_refused(tokens: AccessTokens) -> None:
    claims = tokens.verify(_mint(tokens))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}."
    with pytest.raises(Unauthenticated):
        tokens.verify(unsigned)


def test_a_token_signed_with_another_key_is_refused(tokens: AccessTokens) -> None:
    other = AccessTokens(ECKey.generate_key("P-256"), issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(Unauthenticated):
        tokens.verify(_mint(other))


def test_an_hmac_token_using_the_public_key_is_refused(tokens: AccessTokens, key: ECKey) -> None:
    # The classic algorithm-confusion attack: HS256 keyed with the public key.
    claims = tokens.verify(_mint(tokens))
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'at+jwt'})}.{_b64(claims)}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(Unauthenticated):
        tokens.verify(forged)


def test_an_expired_token_is_refused(tokens: AccessTokens, key: ECKey) -> None:
    now = int(time.time())
    claims = {**tokens.verify(_mint(tokens)), "iat": now - 600, "exp": now - 120}
    expired = jwt.encode({"alg": "ES256", "typ": "at+jwt"}, claims, key, algorithms=["ES256"])
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(expired)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("aud", "https://someone-else.test"), ("iss", "https://evil.test"), ("client_id", None), ("sub", None)],
)
def test_wrong_or_missing_claims_are_refused(
    tokens: AccessTokens, key: ECKey, claim: str, value: object
) -> None:
    claims = tokens.verify(_mint(tokens))
    if value is None:
        del claims[claim]
    else:
        claims[claim] = value
    forged = jwt.encode({"alg": "ES256", "typ": "at+jwt"}, claims, key, algorithms=["ES256"])
    with pytest.raises(Unauthenticated):
        tokens.verify(forged)


def test_a_jwt_that_is_not_an_access_token_is_refused(tokens: AccessTokens, key: ECKey) -> None:
    claims = tokens.verify(_mint(tokens))
    id_token = jwt.encode({"alg": "ES256", "typ": "JWT"}, claims, key, algorithms=["ES256"])
    with pytest.raises(Unauthenticated, match="not an access token"):
        tokens.verify(id_token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "💥.💥.💥", "e30.e30.e30"])
def test_garbage_is_refused(tokens: AccessTokens, garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        tokens.verify(garbage)


def test_the_jwks_verifies_minted_tokens(tokens: AccessTokens) -> None:
    jwks = tokens.public_jwks()
    (public,) = jwks["keys"]
    assert "d" not in public  # never the private part
    verified = jwt.decode(_mint(tokens), ECKey.import_key(public), algorithms=["ES256"])
    assert verified.claims["sub"] == "s"
