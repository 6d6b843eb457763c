"""The words of a document, extracted once at deposit for search: PDF text
(pypdf), the narrative of a CDA document, the narrative and strings of a FHIR
resource, plain text as it is. Images have none."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

from pypdf import PdfReader

from api import xmlsafe
from api.dossier import formats

logger = logging.getLogger("api.dossier")
MAX_TEXT = 200_000  # characters kept for the index: enough for any report
_TAGS = re.compile(r"<[^>]+>")


def extract(content: bytes, mime_type: str) -> str:
    """Best effort: a document whose text cannot be read is still deposited."""
    try:
        if mime_type == formats.TEXT:
            text = content.decode("utf-8")
        elif mime_type == formats.PDF:
            text = _pdf(content)
        elif mime_type == formats.CDA:
            text = _cda(content)
        elif mime_type == formats.FHIR:
            text = " ".join(_strings(json.loads(content)))
        else:
            text = ""
    except Exception as error:  # noqa: BLE001 - best effort: any unreadable file is still deposited
        logger.info("no text extracted from a %s document: %s", mime_type, error)
        text = ""
    return " ".join(text.split())[:MAX_TEXT]


def _pdf(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(page.extract_text() or "" for page in reader.pages[:200])


def _cda(content: bytes) -> str:
    root = xmlsafe.parse(content)  # no DTD, no entity: refused in any encoding
    return " ".join(chunk for chunk in root.itertext())


def _strings(value: Any) -> list[str]:
    """Every string of a FHIR resource but codes and ids; narratives without their tags."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            if key in ("id", "reference", "system", "url", "resourceType", "status"):
                continue
            found.extend(_strings(inner))
        return found
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, str):
        return [_TAGS.sub(" ", value)]
    return []
