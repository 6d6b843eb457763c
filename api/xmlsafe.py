"""Untrusted XML, parsed with no DTD and no entity declaration, in any encoding.

What defusedxml does (it is not a dependency): a first strict pass with expat
refuses any DOCTYPE or entity declaration, however the document is encoded
(UTF-8, UTF-16 with or without its byte order mark...); only then does
ElementTree build the tree of what is known to be plain. Scanning the bytes
for `<!DOCTYPE` would not do: UTF-16 text never contains those bytes.
"""

from __future__ import annotations

from xml.etree import ElementTree
from xml.parsers import expat


class UnreadableXml(ValueError):
    """Not well-formed XML, or XML declaring a DTD or entities (refused)."""


def _refuse(*_: object) -> None:
    raise UnreadableXml("DTDs and entities are refused")


def parse(content: bytes) -> ElementTree.Element:
    """The root of `content`; UnreadableXml when it declares a DTD or an entity,
    or is not well-formed."""
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse
    checker.EntityDeclHandler = _refuse
    checker.UnparsedEntityDeclHandler = _refuse
    checker.ExternalEntityRefHandler = _refuse  # type: ignore[assignment]
    checker.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        checker.Parse(content, True)
        return ElementTree.fromstring(content)  # noqa: S314 - DTDs and entities refused above
    except (expat.ExpatError, ElementTree.ParseError) as error:
        raise UnreadableXml(f"not well-formed XML: {error}") from error
