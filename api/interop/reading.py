"""Reading a FHIR R4 Bundle into a plan of what to import, checked by the
rules of each area before anything is written. A resource that breaks a rule
is refused with its reason (`Refused`); a file that is no valid Bundle is
refused whole (`RefusedFile`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from api.db import utcnow
from api.dossier import service as dossier
from api.dossier.models import DocumentStatus
from api.interop import codes
from api.profile import service as profile
from api.timezones import PARIS

# The INS may come as a NIR, a NIA or a test NIR (the national OIDs).
INS_SYSTEMS = frozenset({codes.INS_SYSTEM, "urn:oid:1.2.250.1.213.1.4.9", "urn:oid:1.2.250.1.213.1.4.10"})
# Read for their references only, never imported on their own.
REFERENCED_ONLY = frozenset({"Patient", "Practitioner", "Organization", "Binary"})
# Where each profile resource keeps its words and its date.
_ENTRY_CONCEPT = {
    "Condition": "code",
    "AllergyIntolerance": "code",
    "Immunization": "vaccineCode",
    "MedicationStatement": "medicationCodeableConcept",
}
_ENTRY_DATES = (
    "onsetDateTime",
    "effectiveDateTime",
    "occurrenceDateTime",
    "date",
    "dateTime",
    "recordedDate",
)


class RefusedFile(Exception):
    """The whole file is refused: nothing of it is imported."""


class Refused(Exception):
    """One resource is refused; the rest of the file goes in."""


@dataclass(frozen=True, slots=True)
class PlannedDocument:
    key: str
    reference: str
    replaces: str | None
    content: bytes
    row: dict[str, Any]
    author_rpps: str | None
    organization_finess: str | None


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    key: str
    kind: str
    label: str
    details: str | None
    occurred_on: date | None


@dataclass(frozen=True, slots=True)
class PlannedMeasurement:
    key: str
    kind: str
    value: float
    unit: str
    measured_at: datetime


@dataclass
class Plan:
    patient_id: uuid.UUID
    documents: list[PlannedDocument] = field(default_factory=list)
    entries: list[PlannedEntry] = field(default_factory=list)
    measurements: list[PlannedMeasurement] = field(default_factory=list)


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise RefusedFile(f"cannot read the file: {error.strerror}") from error
    except (ValueError, RecursionError) as error:
        raise RefusedFile("not JSON") from error
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise RefusedFile("not a FHIR Bundle (resourceType must be Bundle)")
    try:
        Bundle.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()[:3]
        )
        raise RefusedFile(f"not a valid FHIR R4 Bundle: {problems}") from error
    return data


def resources_of(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource")
        if isinstance(resource, dict):
            yield resource


def name_of(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id') or '?'}"


def _resolve(bundle: dict[str, Any], reference: str | None) -> dict[str, Any] | None:
    """The resource of the bundle a reference names (fullUrl or Type/id)."""
    if not reference:
        return None
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        if entry.get("fullUrl") == reference or name_of(resource) == reference:
            return resource
    return None


def _source_key(resource: dict[str, Any], fallback: bytes | None = None) -> str:
    """What identifies a source resource across imports of the same data."""
    kind = resource["resourceType"]
    master = resource.get("masterIdentifier") or next(iter(resource.get("identifier") or []), None)
    if master and master.get("value"):
        identity = f"{master.get('system', '')}|{master['value']}"
    elif resource.get("id"):
        identity = str(resource["id"])
    else:
        identity = hashlib.sha256(fallback or json.dumps(resource, sort_keys=True).encode()).hexdigest()
    key = f"{kind}/{identity}"
    return key if len(key) <= 300 else f"{kind}/sha256:{hashlib.sha256(identity.encode()).hexdigest()}"


def plan_resource(plan: Plan, bundle: dict[str, Any], resource: dict[str, Any], max_bytes: int) -> None:
    kind = resource["resourceType"]
    if kind == "Patient":
        _plan_contacts(plan, resource)
    elif kind in REFERENCED_ONLY:
        return
    elif kind == "DocumentReference":
        plan.documents.append(_document(bundle, resource, max_bytes))
    elif kind == "Observation":
        plan.measurements.append(_measurement(resource))
    elif kind in codes.ENTRY_BY_RESOURCE:
        plan.entries.append(_entry(resource))
    else:
        raise Refused(f"{kind} is not part of a health space here; not imported")


def _attachment_content(bundle: dict[str, Any], attachment: dict[str, Any]) -> tuple[bytes, str | None]:
    data, declared = attachment.get("data"), attachment.get("contentType")
    if data is None and attachment.get("url"):
        binary = _resolve(bundle, attachment["url"])
        if binary is None or binary.get("resourceType") != "Binary":
            raise Refused("its content is a link outside the bundle (never fetched); include it as data")
        data, declared = binary.get("data"), declared or binary.get("contentType")
    if not data:
        raise Refused("it has no content")
    try:
        return base64.b64decode(data, validate=True), declared
    except (binascii.Error, ValueError) as error:
        raise Refused("its content is not valid base64") from error


def _document(bundle: dict[str, Any], resource: dict[str, Any], max_bytes: int) -> PlannedDocument:
    coding = next(
        (c for c in (resource.get("type") or {}).get("coding") or [] if c.get("system") == codes.LOINC), None
    )
    if coding is None:
        raise Refused("its type has no LOINC code")
    attachments = [item.get("attachment") or {} for item in resource.get("content") or []]
    if not attachments:
        raise Refused("it has no content")
    content, declared = _attachment_content(bundle, attachments[0])
    title = resource.get("description") or attachments[0].get("title") or coding.get("display") or ""
    upload = dossier.Upload(content, attachments[0].get("title"), declared)
    category, title, mime_type = dossier.checked_document(coding.get("code", ""), title, upload, max_bytes)
    labels = {
        (label_coding.get("system"), label_coding.get("code"))
        for label in resource.get("securityLabel") or []
        for label_coding in label.get("coding") or []
    }
    flags = {flag.value: pair in labels for flag, pair in codes.SECURITY_LABELS.items()}
    replaces = next(
        (
            (relation.get("target") or {}).get("reference")
            for relation in resource.get("relatesTo") or []
            if relation.get("code") == "replaces"
        ),
        None,
    )
    period_start = ((resource.get("context") or {}).get("period") or {}).get("start")
    row = {
        "type_code": coding["code"],
        "category": category,
        "title": title,
        "service_date": date.fromisoformat(period_start[:10]) if period_start else None,
        "deposited_at": _instant(resource.get("date")) or utcnow(),
        "mime_type": mime_type,
        "file_name": attachments[0].get("title"),
        "status": (
            DocumentStatus.REPLACED.value
            if resource.get("status") == "superseded"
            else DocumentStatus.CURRENT.value
        ),
        **flags,
    }
    rpps, finess = _author_identifiers(bundle, resource)
    reference = _reference_of(bundle, resource)
    return PlannedDocument(_source_key(resource, content), reference, replaces, content, row, rpps, finess)


def _author_identifiers(bundle: dict[str, Any], resource: dict[str, Any]) -> tuple[str | None, str | None]:
    """The RPPS of the authoring Practitioner and the FINESS of the Organization, if the bundle has them."""
    rpps = finess = None
    for author in resource.get("author") or []:
        found = _resolve(bundle, (author or {}).get("reference")) or {}
        for identifier in found.get("identifier") or []:
            value = str(identifier.get("value") or "")
            if found.get("resourceType") == "Practitioner" and identifier.get("system") == codes.IDNPS_SYSTEM:
                rpps = rpps or (value[1:] if len(value) == 12 and value.startswith("8") else value)
            elif (
                found.get("resourceType") == "Organization"
                and identifier.get("system") == codes.FINESS_SYSTEM
            ):
                finess = finess or value
    return rpps, finess


def _reference_of(bundle: dict[str, Any], resource: dict[str, Any]) -> str:
    for entry in bundle.get("entry") or []:
        if entry.get("resource") is resource and entry.get("fullUrl"):
            return str(entry["fullUrl"])
    return name_of(resource)


def _instant(value: str | None) -> datetime | None:
    """A FHIR dateTime as a UTC instant; a bare date is that Paris day's start."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=PARIS).astimezone(UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Refused(f"{value!r} is not a date and time") from error
    return moment.astimezone(UTC) if moment.tzinfo else None


def _measurement(resource: dict[str, Any]) -> PlannedMeasurement:
    codings = (resource.get("code") or {}).get("coding") or []
    kind = next(
        (
            codes.MEASUREMENT_BY_LOINC[c["code"]]
            for c in codings
            if c.get("code") in codes.MEASUREMENT_BY_LOINC
        ),
        None,
    )
    if kind is None:
        raise Refused("not a measurement of the profile (weight, height, blood pressure, glycemia, HbA1c)")
    quantity = resource.get("valueQuantity") or {}
    value, unit = quantity.get("value"), quantity.get("code") or quantity.get("unit")
    if not isinstance(value, int | float) or not isinstance(unit, str):
        raise Refused("it has no valueQuantity with a UCUM unit")
    when = _instant(resource.get("effectiveDateTime") or resource.get("effectiveInstant"))
    if when is None:
        raise Refused("it has no effective date and time with a time zone")
    checked = profile.checked_measurement(kind, float(value), unit, when)
    return PlannedMeasurement(_source_key(resource), kind, float(value), unit, checked)


def _words(concept: dict[str, Any] | None) -> str | None:
    if not concept:
        return None
    return concept.get("text") or next(
        (c.get("display") for c in concept.get("coding") or [] if c.get("display")), None
    )


def _entry(resource: dict[str, Any]) -> PlannedEntry:
    kind = resource["resourceType"]
    notes = [note.get("text") for note in resource.get("note") or [] if note.get("text")]
    details = "\n".join(notes) or None
    if kind == "FamilyMemberHistory":
        label = next((_words(item.get("code")) for item in resource.get("condition") or []), None)
    elif kind == "Consent":
        attachment = resource.get("sourceAttachment") or {}
        label = attachment.get("title")
        if attachment.get("data"):
            try:
                text = base64.b64decode(attachment["data"], validate=True).decode("utf-8")
            except (binascii.Error, ValueError) as error:
                raise Refused("its attachment is not base64 UTF-8 text") from error
            label = label or text.split("\n", 1)[0]
            details = text.removeprefix(label).strip() or None
    else:
        label = _words(resource.get(_ENTRY_CONCEPT[kind]))
    if not label:
        raise Refused("it has no words saying what it is (text or display)")
    when = next((resource[name] for name in _ENTRY_DATES if isinstance(resource.get(name), str)), None)
    try:
        occurred_on = date.fromisoformat(when[:10]) if when and len(when) >= 10 else None
    except ValueError as error:
        raise Refused(f"{when!r} is not a date") from error
    label, details, occurred_on = profile.checked_entry(label, details, occurred_on)
    return PlannedEntry(_source_key(resource), codes.ENTRY_BY_RESOURCE[kind], label, details, occurred_on)


def _plan_contacts(plan: Plan, patient: dict[str, Any]) -> None:
    """People to notify: the Patient's contacts."""
    for contact in patient.get("contact") or []:
        name = contact.get("name") or {}
        label = name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
        if not label:
            continue
        details = (
            "; ".join(item["text"] for item in contact.get("relationship") or [] if item.get("text")) or None
        )
        label, details, _ = profile.checked_entry(label, details, None)
        key = "Patient.contact/" + hashlib.sha256(json.dumps(contact, sort_keys=True).encode()).hexdigest()
        plan.entries.append(PlannedEntry(key, "PERSON_TO_NOTIFY", label, details, None))
