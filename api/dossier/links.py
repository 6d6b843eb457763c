"""Short-lived signed links to document contents.

A link names the document and the principal that asked for it (the claims
that rebuild it); whoever holds it is checked again when it is used: a block,
a masking, a revocation or a disconnection since the link was made wins.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey

from api.errors import Unauthenticated
from api.identity.principal import Principal
from api.identity.service import claims_of

LINK_SECONDS = 300
LINK_TYPE = "content-link"
EXPORT_LINK_TYPE = "export-link"
MESSAGE_FILE_LINK_TYPE = "message-file-link"


class ContentLinks:
    """Links to a document's content, to a file sent with a message, and to a whole
    space's export (portability)."""

    def __init__(self, signing_key: ECKey, *, base_url: str) -> None:
        material = hashlib.sha256(b"espace content links v1" + signing_key.as_pem(private=True)).digest()
        self._key = OctKey.import_key(material)
        self._base_url = base_url.rstrip("/")

    def url(self, principal: Principal, document_id: uuid.UUID) -> str:
        token = self._sign(principal, LINK_TYPE, "doc", document_id)
        return f"{self._base_url}/documents/{document_id}/content?link={token}"

    def verify(self, token: str, document_id: uuid.UUID) -> dict[str, Any]:
        """The claims of the principal behind a valid, unexpired link to this document."""
        return self._verify(token, LINK_TYPE, "doc", document_id)

    def message_file_url(self, principal: Principal, file_id: uuid.UUID) -> str:
        token = self._sign(principal, MESSAGE_FILE_LINK_TYPE, "file", file_id)
        return f"{self._base_url}/messages/files/{file_id}/content?link={token}"

    def verify_message_file(self, token: str, file_id: uuid.UUID) -> dict[str, Any]:
        """The claims of the principal behind a valid, unexpired link to this message file."""
        return self._verify(token, MESSAGE_FILE_LINK_TYPE, "file", file_id)

    def export_url(self, principal: Principal, patient_id: uuid.UUID) -> str:
        token = self._sign(principal, EXPORT_LINK_TYPE, "space", patient_id)
        return f"{self._base_url}/patients/{patient_id}/fhir-export?link={token}"

    def verify_export(self, token: str, patient_id: uuid.UUID) -> dict[str, Any]:
        """The claims of the principal behind a valid, unexpired export link of this space."""
        return self._verify(token, EXPORT_LINK_TYPE, "space", patient_id)

    def _sign(self, principal: Principal, link_type: str, claim: str, target: uuid.UUID) -> str:
        now = int(time.time())
        claims = {
            "principal": claims_of(principal),
            claim: str(target),
            "iat": now,
            "exp": now + LINK_SECONDS,
            "typ": link_type,
        }
        return jwt.encode({"alg": "HS256"}, claims, self._key, algorithms=["HS256"])

    def _verify(self, token: str, link_type: str, claim: str, target: uuid.UUID) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"]).claims
        except (JoseError, ValueError, TypeError) as error:
            raise Unauthenticated("Invalid link.") from error
        if claims.get("typ") != link_type or claims.get(claim) != str(target):
            raise Unauthenticated("Invalid link.")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise Unauthenticated("This link has expired; ask for it again.")
        principal = claims.get("principal")
        if not isinstance(principal, dict):
            raise Unauthenticated("Invalid link.")
        return principal
