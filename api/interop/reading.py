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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from api.db import utcnow
from api.dossier import service as dossier
from api.dossier.records import DocumentStatus
from api.errors import BadUserInput
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
# Where a resource names whom it is about.
_SUBJECTS = ("subject", "patient")


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

    def keys(self) -> list[str]:
        return [item.key for item in (*self.documents, *self.entries, *self.measurements)]


def read_bundle(path: Path, *, max_bytes: int) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RefusedFile(
                f"{size} bytes: larger than the {max_bytes} an import reads (ESPACE_IMPORT_MAX_BYTES)"
            )
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


class BundleView:
    """A validated Bundle with its references indexed (fullUrl and Type/id)."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.entries: list[tuple[str | None, dict[str, Any]]] = []
        self._by_reference: dict[str, dict[str, Any]] = {}
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
            self.entries.append((full_url, resource))
            if full_url:
                self._by_reference[full_url] = resource
            if isinstance(resource.get("resourceType"), str) and resource.get("id"):
                self._by_reference.setdefault(name_of(resource), resource)
        self.patient: dict[str, Any] | None = None

    def resolve(self, reference: object) -> dict[str, Any] | None:
        return self._by_reference.get(reference) if isinstance(reference, str) else None

    def about_someone_else(self, resource: dict[str, Any]) -> bool:
        """The resource names a subject that is not the Bundle's Patient."""
        references = [
            target.get("reference")
            for target in (resource.get(name) for name in _SUBJECTS)
            if isinstance(target, dict) and target.get("reference") is not None
        ]
        return any(self.resolve(reference) is not self.patient for reference in references)


def name_of(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id') or '?'}"


def source_key(resource: dict[str, Any], full_url: str | None, fallback: bytes | None = None) -> str:
    """What identifies a source resource across imports of the same data: its
    business identifier, else its fullUrl (absolute, so unique across sources),
    else a digest of what it says. A bare id is unique only on its own server."""
    kind = resource["resourceType"]
    master = resource.get("masterIdentifier") or next(iter(resource.get("identifier") or []), None)
    if isinstance(master, dict) and master.get("value"):
        identity = f"{master.get('system', '')}|{master['value']}"
    elif full_url:
        identity = full_url
    else:
        identity = (
            "sha256:"
            + hashlib.sha256(
                fallback or json.dumps(resource, sort_keys=True, default=str).encode()
            ).hexdigest()
        )
    key = f"{kind}/{identity}"
    return key if len(key) <= 300 else f"{kind}/sha256:{hashlib.sha256(identity.encode()).hexdigest()}"


def own_id(key: str) -> uuid.UUID | None:
    """The id a key carries when the resource came from a space of ours (urn:uuid)."""
    identity = key.split("/", 1)[-1].removeprefix("urn:ietf:rfc:3986|").removeprefix("urn:uuid:")
    try:
        return uuid.UUID(identity)
    except ValueError:
        return None


def plan_resource(
    plan: Plan, view: BundleView, full_url: str | None, resource: dict[str, Any], max_bytes: int
) -> None:
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise Refused("it has no resourceType")
    if kind == "Patient":
        _plan_contacts(plan, resource)
        return
    if kind in REFERENCED_ONLY:
        return
    if view.about_someone_else(resource):
        raise Refused("it is about someone else than the Bundle's Patient")
    if kind == "DocumentReference":
        plan.documents.append(_document(view, full_url, resource, max_bytes))
    elif kind == "Observation":
        plan.measurements.append(_measurement(resource, full_url))
    elif kind in codes.ENTRY_BY_RESOURCE:
        plan.entries.append(_entry(resource, full_url))
    else:
        raise Refused(f"{kind} is not part of a health space here; not imported")


def _attachment_content(view: BundleView, attachment: dict[str, Any]) -> tuple[bytes, str | None]:
    data, declared = attachment.get("data"), attachment.get("contentType")
    if data is None and attachment.get("url"):
        binary = view.resolve(attachment["url"])
        if binary is None or binary.get("resourceType") != "Binary":
            raise Refused("its content is a link outside the bundle (never fetched); include it as data")
        data, declared = binary.get("data"), declared or binary.get("contentType")
    if not data or not isinstance(data, str):
        raise Refused("it has no content")
    try:
        return base64.b64decode(data, validate=True), declared
    except (binascii.Error, ValueError) as error:
        raise Refused("its content is not valid base64") from error


def _document(
    view: BundleView, full_url: str | None, resource: dict[str, Any], max_bytes: int
) -> PlannedDocument:
    coding = next(
        (c for c in (resource.get("type") or {}).get("coding") or [] if c.get("system") == codes.LOINC), None
    )
    if coding is None:
        raise Refused("its type has no LOINC code")
    attachments = [item.get("attachment") or {} for item in resource.get("content") or []]
    if len(attachments) != 1:
        raise Refused(f"it has {len(attachments)} contents: a document is imported with exactly one")
    content, declared = _attachment_content(view, attachments[0])
    title = resource.get("description") or attachments[0].get("title") or coding.get("display") or ""
    upload = dossier.Upload(content, attachments[0].get("title"), declared)
    category, title, mime_type = dossier.checked_document(
        str(coding.get("code", "")), title, upload, max_bytes
    )
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
    deposited_at = _instant(resource.get("date")) or utcnow()
    if deposited_at > utcnow():
        raise Refused("it is dated in the future")
    period_start = ((resource.get("context") or {}).get("period") or {}).get("start")
    row = {
        "type_code": coding["code"],
        "category": category,
        "title": title,
        "service_date": _day(period_start),
        "deposited_at": deposited_at,
        "mime_type": mime_type,
        "file_name": attachments[0].get("title"),
        "status": (
            DocumentStatus.REPLACED.value
            if resource.get("status") == "superseded"
            else DocumentStatus.CURRENT.value
        ),
        **flags,
    }
    rpps, finess = _author_identifiers(view, resource)
    reference = full_url or name_of(resource)
    key = source_key(resource, full_url, content)
    return PlannedDocument(
        key, reference, replaces if isinstance(replaces, str) else None, content, row, rpps, finess
    )


def _author_identifiers(view: BundleView, resource: dict[str, Any]) -> tuple[str | None, str | None]:
    """The RPPS of the authoring Practitioner and the FINESS of the Organization, if the bundle has them."""
    rpps = finess = None
    for author in resource.get("author") or []:
        found = view.resolve((author or {}).get("reference")) or {}
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


def _day(value: object) -> date | None:
    """A FHIR date; a partial one (2026, 2026-05) is the first day it can mean."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 4:
            return date(int(value), 1, 1)
        if len(value) == 7:
            return date(int(value[:4]), int(value[5:7]), 1)
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise Refused(f"{value!r} is not a date") from error


def _instant(value: object) -> datetime | None:
    """A FHIR dateTime as a UTC instant; a date alone is that Paris day's start."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) <= 10:
        day = _day(value)
        return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC) if day else None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Refused(f"{value!r} is not a date and time") from error
    return moment.astimezone(UTC) if moment.tzinfo else None


def _measurement(resource: dict[str, Any], full_url: str | None) -> PlannedMeasurement:
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
    if isinstance(value, bool) or not isinstance(value, int | float) or not isinstance(unit, str):
        raise Refused("it has no valueQuantity with a UCUM unit")
    try:
        number = float(value)
    except OverflowError as error:
        raise Refused("its value is out of any range") from error
    when = _instant(resource.get("effectiveDateTime") or resource.get("effectiveInstant"))
    if when is None:
        raise Refused("it has no effective date and time with a time zone")
    checked = profile.checked_measurement(kind, number, unit, when)
    return PlannedMeasurement(source_key(resource, full_url), kind, number, unit, checked)


def _words(concept: dict[str, Any] | None) -> str | None:
    if not concept:
        return None
    return concept.get("text") or next(
        (c.get("display") for c in concept.get("coding") or [] if c.get("display")), None
    )


def _entry(resource: dict[str, Any], full_url: str | None) -> PlannedEntry:
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
    label, details, occurred_on = profile.checked_entry(label, details, _day(when))
    return PlannedEntry(
        source_key(resource, full_url), codes.ENTRY_BY_RESOURCE[kind], label, details, occurred_on
    )


def _plan_contacts(plan: Plan, patient: dict[str, Any]) -> None:
    """People to notify: the Patient's contacts, keyed by what they say (a
    contact has no id), so a contact already in the profile is not added twice."""
    for contact in patient.get("contact") or []:
        name = contact.get("name") or {}
        label = name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
        if not label:
            continue
        details = (
            "; ".join(item["text"] for item in contact.get("relationship") or [] if item.get("text")) or None
        )
        try:
            label, details, _ = profile.checked_entry(label, details, None)
        except BadUserInput:  # one unreadable contact does not drop the others
            continue
        key = "Patient.contact/" + hashlib.sha256(json.dumps([label, details]).encode()).hexdigest()
        plan.entries.append(PlannedEntry(key, "PERSON_TO_NOTIFY", label, details, None))


def plan_of(view: BundleView, patient_id: uuid.UUID, max_bytes: int) -> tuple[Plan, list[tuple[str, str]]]:
    """Every resource planned or refused; a resource twice in the file is refused the second time."""
    plan, refused = Plan(patient_id), []
    for full_url, resource in view.entries:
        try:
            plan_resource(plan, view, full_url, resource, max_bytes)
        except Refused as refusal:
            refused.append((name_of(resource), str(refusal)))
        except BadUserInput as refusal:
            refused.append((name_of(resource), refusal.message))
    seen: set[str] = set()
    for items in (plan.documents, plan.entries, plan.measurements):
        kept = []
        for item in items:
            if item.key in seen:
                refused.append((item.key, "it appears twice in this file"))
                continue
            seen.add(item.key)
            kept.append(item)
        items[:] = kept
    return plan, refused
