"""What a file is, from its content, never from its name: magic bytes, the XML
root of a CDA document, the resourceType of FHIR JSON, valid UTF-8 text."""

from __future__ import annotations

import json
import re

from api.errors import BadUserInput

PDF = "application/pdf"
CDA = "application/hl7-cda+xml"
FHIR = "application/fhir+json"
JPEG = "image/jpeg"
PNG = "image/png"
TEXT = "text/plain"

_CDA_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<(\w+:)?ClinicalDocument[\s>]", re.DOTALL)


def detect(content: bytes) -> str:
    """The MIME type of a document's content; BAD_USER_INPUT when it is none of ours."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    stripped = content.lstrip()
    if stripped.startswith(b"<"):
        if _CDA_ROOT.match(content[:4096]) and b"urn:hl7-org:v3" in content[:4096]:
            return CDA
        raise BadUserInput("An XML document must be a CDA R2 ClinicalDocument.", field="file")
    if stripped.startswith(b"{"):
        try:
            resource = json.loads(content)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise BadUserInput("This JSON does not parse (or nests too deep).", field="file") from error
        if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
            return FHIR
        raise BadUserInput("JSON documents must be FHIR resources (with a resourceType).", field="file")
    if content and _is_text(content):
        return TEXT
    raise BadUserInput("Unknown format: send PDF, CDA R2, FHIR JSON, JPEG, PNG or plain text.", field="file")


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(char) < 32 and char not in "\t\n\r\f" for char in text)


def safe_file_name(name: str | None, mime_type: str) -> str:
    """A file name to show and to offer at download: no path, no control or
    shell characters, the extension of what the content really is."""
    extension = {PDF: "pdf", CDA: "xml", FHIR: "json", JPEG: "jpg", PNG: "png", TEXT: "txt"}[mime_type]
    base = (name or "").replace("\\\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w .()-]", "_", base, flags=re.UNICODE).strip(" ._")[:120]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'document'}.{extension}"
