"""The login session of the authorization server's pages, and CSRF tokens.

The session is a short-lived signed cookie (a JWT signed by joserfc with a key
derived from the token signing key), holding only the account id. Forms carry
a CSRF token bound to a random per-browser value (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey
from starlette.requests import Request
from starlette.responses import Response

from api.oauth.secrets import new_secret

SESSION_COOKIE = "espace_session"
BROWSER_COOKIE = "espace_browser"
SESSION_SECONDS = 30 * 60


class Sessions:
    def __init__(self, signing_key: ECKey, *, secure: bool) -> None:
        # A separate symmetric key, derived so that no extra secret is needed.
        material = hashlib.sha256(b"espace session v1" + signing_key.as_pem(private=True)).digest()
        self._key = OctKey.import_key(material)
        self._secure = secure

    def account_id(self, request: Request) -> uuid.UUID | None:
        value = request.cookies.get(SESSION_COOKIE)
        if not value:
            return None
        try:
            claims = jwt.decode(value, self._key, algorithms=["HS256"]).claims
            if claims.get("exp", 0) < time.time() or claims.get("typ") != "session":
                return None
            return uuid.UUID(claims["sub"])
        except (JoseError, ValueError, KeyError, TypeError):
            return None

    def log_in(self, response: Response, account_id: uuid.UUID) -> None:
        now = int(time.time())
        claims = {"sub": str(account_id), "iat": now, "exp": now + SESSION_SECONDS, "typ": "session"}
        value = jwt.encode({"alg": "HS256"}, claims, self._key, algorithms=["HS256"])
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=SESSION_SECONDS,
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/oauth",
        )

    def browser(self, request: Request) -> tuple[str, bool]:
        """The browser's random value, and whether it is new (then `remember_browser`)."""
        value = request.cookies.get(BROWSER_COOKIE)
        return (value, False) if value else (new_secret(32), True)

    def remember_browser(self, response: Response, value: str) -> None:
        response.set_cookie(
            BROWSER_COOKIE, value, httponly=True, secure=self._secure, samesite="lax", path="/oauth"
        )

    def csrf_token(self, browser: str) -> str:
        return hmac.new(self._key.raw_value, b"csrf:" + browser.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, request: Request, submitted: str | None) -> bool:
        browser = request.cookies.get(BROWSER_COOKIE)
        return bool(browser and submitted) and hmac.compare_digest(self.csrf_token(browser), submitted or "")
