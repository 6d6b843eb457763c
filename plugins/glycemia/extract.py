"""HbA1c values (LOINC 4548-4) in lab results: FHIR R4 Observations (alone or
in a Bundle) and CDA R2 lab reports. Pure functions, no database.

Values are kept in percent (NGSP/DCCT, what French labs report and the
profile stores); IFCC values in mmol/mol are converted. What cannot be read
(no value, no unit we know, an implausible value) is left out, never guessed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree

from api import xmlsafe
from api.timezones import PARIS

HBA1C_LOINC = "4548-4"
LOINC_SYSTEM = "http://loinc.org"
LOINC_OID = "2.16.840.1.113883.6.1"
UCUM_SYSTEM = "http://unitsofmeasure.org"
CDA_NS = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
CDA_MIME = "application/hl7-cda+xml"
FHIR_MIME = "application/fhir+json"
# The profile's plausible bounds for HbA1c, in percent.
PLAUSIBLE = (3.0, 20.0)
_CDA_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_WITHDRAWN = {"entered-in-error", "cancelled"}


class UnreadableContent(ValueError):
    """The content is not the format it claims, or refuses to be read safely."""


@dataclass(frozen=True, slots=True)
class Reading:
    value: float  # percent
    measured_on: date | None  # None: the document's own date will do
    unit: str = "%"


def percent(value: float, unit: str) -> float | None:
    """The value in percent, or None for a unit that is not HbA1c's or an implausible value."""
    unit = unit.strip()
    if unit == "%":
        result = value
    elif unit.replace(" ", "") in ("mmol/mol", "mmol/mol{Hb}"):
        result = round(0.09148 * value + 2.152, 1)  # the IFCC-NGSP master equation
    else:
        return None
    if not math.isfinite(result) or not PLAUSIBLE[0] <= result <= PLAUSIBLE[1]:
        return None
    return result


def readings(content: bytes, mime_type: str) -> list[Reading]:
    """The HbA1c readings of a document, once each; UnreadableContent when the
    content does not parse. Other formats (PDF, text, images) have none."""
    if mime_type == CDA_MIME:
        found = cda_readings(content)
    elif mime_type == FHIR_MIME:
        found = fhir_readings(content)
    else:
        return []
    return list(dict.fromkeys(found))


# ------------------------------------------------------------------------ FHIR


def fhir_readings(content: bytes) -> list[Reading]:
    try:
        resource = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise UnreadableContent(f"not JSON: {error}") from error
    if not isinstance(resource, dict):
        raise UnreadableContent("not a FHIR resource")
    if resource.get("resourceType") == "Bundle":
        entries = resource.get("entry")
        listed = entries if isinstance(entries, list) else []
        observations = [entry.get("resource") for entry in listed if isinstance(entry, dict)]
    else:
        observations = [resource]
    found = []
    for observation in observations:
        reading = _fhir_observation(observation)
        if reading is not None:
            found.append(reading)
    return found


def _fhir_observation(resource: Any) -> Reading | None:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        return None
    if resource.get("status") in _WITHDRAWN:
        return None
    codings = (resource.get("code") or {}).get("coding") if isinstance(resource.get("code"), dict) else None
    if not isinstance(codings, list) or not any(
        isinstance(coding, dict)
        and coding.get("code") == HBA1C_LOINC
        and coding.get("system", LOINC_SYSTEM) == LOINC_SYSTEM
        for coding in codings
    ):
        return None
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    unit = quantity.get("code") if quantity.get("system") == UCUM_SYSTEM else quantity.get("unit")
    if not isinstance(unit, str):
        return None
    converted = percent(float(value), unit)
    if converted is None:
        return None
    period = resource.get("effectivePeriod")
    when = resource.get("effectiveDateTime") or (period.get("start") if isinstance(period, dict) else None)
    return Reading(converted, fhir_day(when))


def fhir_day(value: Any) -> date | None:
    """The Europe/Paris day of a FHIR date or dateTime; None when absent or partial."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(PARIS).date() if moment.tzinfo else moment.date()


# ------------------------------------------------------------------------- CDA


def cda_readings(content: bytes) -> list[Reading]:
    try:
        root = xmlsafe.parse(content)
    except xmlsafe.UnreadableXml as error:
        raise UnreadableContent(str(error)) from error
    found = []
    for observation in root.iter(f"{CDA_NS}observation"):
        reading = _cda_observation(observation)
        if reading is not None:
            found.append(reading)
    return found


def _cda_observation(observation: ElementTree.Element) -> Reading | None:
    if observation.get("negationInd") == "true":
        return None
    code = observation.find(f"{CDA_NS}code")
    if code is None or code.get("code") != HBA1C_LOINC or code.get("codeSystem", LOINC_OID) != LOINC_OID:
        return None
    status = observation.find(f"{CDA_NS}statusCode")
    if status is not None and status.get("code") in ("nullified", "aborted", "cancelled"):
        return None
    for value in observation.findall(f"{CDA_NS}value"):
        if (value.get(XSI_TYPE) or "").split(":")[-1] != "PQ":
            continue
        try:
            number = float((value.get("value") or "").replace(",", "."))
        except ValueError:
            continue
        converted = percent(number, value.get("unit") or "")
        if converted is not None:
            return Reading(converted, _cda_day(observation))
    return None


def _cda_day(observation: ElementTree.Element) -> date | None:
    effective = observation.find(f"{CDA_NS}effectiveTime")
    if effective is None:
        return None
    stamp = effective.get("value")
    if stamp is None:
        low = effective.find(f"{CDA_NS}low")
        stamp = low.get("value") if low is not None else None
    match = _CDA_DATE.match(stamp or "")
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
