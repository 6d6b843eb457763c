"""Vaccinations read from a deposited immunization note. Pure: bytes in, records out.

Two formats are understood: FHIR JSON (an `Immunization` resource, or a
`Bundle` of them) and CDA R2 XML (`substanceAdministration` entries). What
cannot be read gives no record, never an error: a malformed note must not
stop the relay that hands it to us.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree import ElementTree

from api import xmlsafe

# The LOINC types of api/dossier/document_types.toml whose content may list
# vaccinations: "history of immunization" (and "immunization note", should the
# national list add it).
IMMUNIZATION_TYPES = frozenset({"11369-6", "87273-9"})
MAX_LABEL = 200
MAX_ENTRIES = 200  # a note listing more is cut there, not refused
_CDA = "{urn:hl7-org:v3}"


@dataclass(frozen=True, slots=True)
class Immunization:
    label: str
    given_on: date
    code: str | None = None
    system: str | None = None  # CIS, ATC, SNOMED, CVX, or the system as written


def read_immunizations(content: bytes) -> list[Immunization]:
    """The vaccinations a note records as given, in the order it lists them."""
    start = content.lstrip()[:1]
    try:
        if start == b"{":
            found = list(_fhir(json.loads(content)))
        elif start == b"<":
            found = list(_cda(content))
        else:
            return []
    except (ValueError, TypeError, AttributeError, RecursionError):  # xmlsafe.UnreadableXml too
        return []  # malformed: nothing recorded
    return found[:MAX_ENTRIES]


# ------------------------------------------------------------------------ FHIR


def _fhir(resource: Any) -> Iterator[Immunization]:
    if not isinstance(resource, dict):
        return
    kind = resource.get("resourceType")
    if kind == "Bundle":
        for entry in resource.get("entry") or []:
            if isinstance(entry, dict):
                yield from _fhir(entry.get("resource"))
    elif kind == "Immunization":
        found = _fhir_immunization(resource)
        if found is not None:
            yield found


def _fhir_immunization(resource: dict[str, Any]) -> Immunization | None:
    if resource.get("status") in ("not-done", "entered-in-error"):
        return None
    given_on = _fhir_date(resource.get("occurrenceDateTime"))
    concept = resource.get("vaccineCode")
    if given_on is None or not isinstance(concept, dict):
        return None
    codings = [coding for coding in concept.get("coding") or [] if isinstance(coding, dict)]
    first = codings[0] if codings else {}
    label = concept.get("text") or next(
        (coding.get("display") for coding in codings if coding.get("display")), None
    )
    code = first.get("code")
    label = label or code
    if not isinstance(label, str) or not label.strip():
        return None
    return Immunization(
        label=label.strip()[:MAX_LABEL],
        given_on=given_on,
        code=str(code)[:40] if code else None,
        system=_system(first.get("system")),
    )


def _fhir_date(value: object) -> date | None:
    # "2026-03-10", "2026-03-10T09:30:00+01:00": the day as written (the care's local day).
    if not isinstance(value, str) or len(value) < 10:
        return None
    return date.fromisoformat(value[:10])


def _system(system: object) -> str | None:
    if not isinstance(system, str) or not system:
        return None
    lowered = system.lower()
    for needle, name in (
        ("snomed", "SNOMED"),
        ("cis", "CIS"),
        ("atc", "ATC"),
        ("cvx", "CVX"),
        ("2.16.840.1.113883.6.96", "SNOMED"),
        ("2.16.840.1.113883.6.73", "ATC"),
        ("1.2.250.1.213.2.3.1", "CIS"),
    ):
        if needle in lowered:
            return name
    return system[:20]


# ------------------------------------------------------------------------- CDA


def _cda(content: bytes) -> Iterator[Immunization]:
    root = xmlsafe.parse(content)  # no DTD, no entity: refused in any encoding
    for administration in root.iter(f"{_CDA}substanceAdministration"):
        if administration.get("negationInd") == "true":
            continue
        material = administration.find(
            f"{_CDA}consumable/{_CDA}manufacturedProduct/{_CDA}manufacturedMaterial"
        )
        if material is None:
            continue
        code = material.find(f"{_CDA}code")
        name = material.findtext(f"{_CDA}name")
        label = (code.get("displayName") if code is not None else None) or name
        given_on = _cda_date(administration)
        if not label or not label.strip() or given_on is None:
            continue
        yield Immunization(
            label=label.strip()[:MAX_LABEL],
            given_on=given_on,
            code=(code.get("code") or None) if code is not None else None,
            system=_system(code.get("codeSystem")) if code is not None else None,
        )


def _cda_date(administration: ElementTree.Element) -> date | None:
    time = administration.find(f"{_CDA}effectiveTime")
    if time is None:
        return None
    value = time.get("value") or time.find(f"{_CDA}low").get("value")  # type: ignore[union-attr]
    if not value or len(value) < 8:
        return None
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
