"""The whole space as one FHIR R4 Bundle (portability, DOMAIN.md's right to take
one's data along).

The decision and the journal entry come first (`open_export`); the Bundle is
then written resource by resource, the documents a batch of rows at a time,
so a space of any size streams out in bounded memory. What the exporter may
not see is not exported: a patient's export leaves out what is still hidden
from them, a representative's what is hidden from representatives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api.access.policy import Action, SpacePart
from api.access.service import Access
from api.contents.service import Contents
from api.db import utcnow
from api.directory import queries as directory
from api.directory.records import OrganizationRecord, PatientRecord, ProfessionalRecord
from api.dossier import service as dossier
from api.dossier.document_types import document_types
from api.dossier.records import DocumentRecord, DocumentStatus
from api.errors import Forbidden, NotFound
from api.identity.scopes import Scope
from api.interop import codes
from api.journal.records import AccessAction
from api.profile import service as profile

Resource = dict[str, Any]


def reference(resource_id: uuid.UUID) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SpaceExport:
    """An export decided and journaled, ready to stream."""

    access: Access
    contents: Contents
    patient: PatientRecord
    entries: list[profile.EntryRecord]
    measurements: list[profile.MeasurementRecord]

    async def resources(self) -> AsyncIterator[Resource]:
        yield patient_resource(self.patient, self.entries)
        for entry in self.entries:
            if entry.kind in codes.ENTRY_RESOURCES:
                yield entry_resource(self.patient.id, entry)
        for measurement in self.measurements:
            yield measurement_resource(self.patient.id, measurement)
        async for resource in self._documents():
            yield resource

    async def _documents(self) -> AsyncIterator[Resource]:
        professionals: dict[uuid.UUID, ProfessionalRecord | None] = {}
        organizations: dict[uuid.UUID, OrganizationRecord | None] = {}
        # A version links to the one it replaces whenever the exporter sees both.
        visible = await dossier.exportable_ids(self.access, self.patient.id)
        async for record, content in dossier.documents_to_export(self.access, self.contents, self.patient.id):
            # Each author and organization once, before the first document that names it.
            if record.author_professional_id and record.author_professional_id not in professionals:
                found = await self._directory(directory.professionals_by_ids, record.author_professional_id)
                professionals[record.author_professional_id] = found
                if found is not None:
                    yield practitioner_resource(found)
            if record.organization_id and record.organization_id not in organizations:
                found_organization = await self._directory(
                    directory.organizations_by_ids, record.organization_id
                )
                organizations[record.organization_id] = found_organization
                if found_organization is not None:
                    yield organization_resource(found_organization)
            authors = []
            if record.author_professional_id and professionals.get(record.author_professional_id):
                authors.append(reference(record.author_professional_id))
            if record.organization_id and organizations.get(record.organization_id):
                authors.append(reference(record.organization_id))
            if record.depositor_kind == "PATIENT":
                authors.append(reference(record.patient_id))
            replaces = record.replaces_id if record.replaces_id in visible else None
            yield document_resource(record, content, authors, replaces)

    async def _directory(self, query: Any, some_id: uuid.UUID) -> Any:
        async with self.access.database.read() as connection:
            return (await query(connection, [some_id])).get(some_id)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The Bundle as JSON, a resource at a time."""
        head = {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "type": "collection",
            "timestamp": instant(utcnow()),
        }
        yield json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "entry": ['
        first = True
        async for resource in self.resources():
            entry = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            yield (b"" if first else b",\n") + json.dumps(entry, ensure_ascii=False).encode()
            first = False
        yield b"]}\n"


async def open_export(access: Access, contents: Contents, patient_id: uuid.UUID) -> SpaceExport:
    """Decide (FORBIDDEN unless the patient or a legal representative), journal the
    export, and gather the small parts; documents are read while streaming."""
    if not (
        access.principal.has_scope(Scope.DOCUMENTS_READ.value)
        and access.principal.has_scope(Scope.PROFILE_READ.value)
    ):
        raise Forbidden("An export needs documents:read and profile:read.")
    granted = await access.space(patient_id, Action.EXPORT, SpacePart.IDENTITY)
    await access.space(patient_id, Action.EXPORT, SpacePart.DOCUMENTS)
    entries, measurements = await profile.profile_to_export(access, patient_id)
    async with access.database.read() as connection:
        patient = (await directory.patients_by_ids(connection, [patient_id])).get(patient_id)
    if patient is None:
        raise NotFound("No such space.")
    async with access.database.session() as session:
        await access.write_entry(
            await session.connection(), granted, AccessAction.EXPORT, "Patient", patient_id
        )
    return SpaceExport(access, contents, patient, entries, measurements)


def patient_resource(patient: PatientRecord, entries: list[profile.EntryRecord]) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(patient.id),
        "identifier": [{"system": codes.INS_SYSTEM, "value": patient.ins}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "birthDate": patient.birth_date.isoformat(),
    }
    if patient.sex in codes.GENDERS:
        resource["gender"] = codes.GENDERS[patient.sex]
    contacts = [
        {
            "relationship": [
                {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]},
                *([{"text": entry.details}] if entry.details else []),
            ],
            "name": {"text": entry.label},
        }
        for entry in entries
        if entry.kind == "PERSON_TO_NOTIFY"
    ]
    if contacts:
        resource["contact"] = contacts
    return resource


def _when(day: date | None) -> str | None:
    return day.isoformat() if day else None


def entry_resource(patient_id: uuid.UUID, entry: profile.EntryRecord) -> Resource:
    """A profile entry as the FHIR resource of its kind; `details` as a note by its author."""
    kind = codes.ENTRY_RESOURCES[entry.kind]
    subject = reference(patient_id)
    by = {"display": entry.entered_by_name}
    note = [{"text": entry.details, "authorString": entry.entered_by_name}] if entry.details else None
    when = _when(entry.occurred_on)
    concept = {"text": entry.label}
    fields: Resource
    if kind == "Condition":
        fields = {"subject": subject, "code": concept, "recorder": by, "onsetDateTime": when}
    elif kind == "MedicationStatement":
        fields = {
            "status": "active",
            "subject": subject,
            "medicationCodeableConcept": concept,
            "informationSource": by,
            "effectiveDateTime": when,
        }
    elif kind == "AllergyIntolerance":
        fields = {"patient": subject, "code": concept, "recorder": by, "onsetDateTime": when}
    elif kind == "FamilyMemberHistory":
        fields = {
            "status": "completed",
            "patient": subject,
            "relationship": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "FAMMEMB"}]
            },
            "condition": [{"code": concept}],
            "date": when,
        }
    elif kind == "Immunization":
        fields = {
            "status": "completed",
            "patient": subject,
            "vaccineCode": concept,
            "performer": [{"actor": by}],
            **({"occurrenceDateTime": when} if when else {"occurrenceString": "date inconnue"}),
        }
    else:  # Consent: advance directives, their words as the source document
        words = entry.label + (f"\n\n{entry.details}" if entry.details else "")
        fields = {
            "status": "active",
            "scope": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "adr"}]
            },
            "category": [{"coding": [{"system": codes.LOINC, "code": "59284-0"}]}],
            "patient": subject,
            "dateTime": when,
            "performer": [by],
            "policyRule": {"text": "Directives anticipées"},
            "sourceAttachment": {
                "contentType": "text/plain; charset=utf-8",
                "title": entry.label,
                "data": base64.b64encode(words.encode()).decode(),
            },
        }
        note = None
    resource = {"resourceType": kind, "id": str(entry.id), **fields, "note": note}
    return {key: value for key, value in resource.items() if value is not None}


def measurement_resource(patient_id: uuid.UUID, measurement: profile.MeasurementRecord) -> Resource:
    code, display, category = codes.MEASUREMENT_CODES[measurement.kind]
    if measurement.kind == "GLYCEMIA" and measurement.unit == "mmol/L":
        code, display = "15074-8", "Glucose [Moles/volume] in Blood"
    return {
        "resourceType": "Observation",
        "id": str(measurement.id),
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": codes.LOINC, "code": code, "display": display}]},
        "subject": reference(patient_id),
        "effectiveDateTime": instant(measurement.measured_at),
        "performer": [{"display": measurement.entered_by_name}],
        "valueQuantity": {
            "value": measurement.value,
            "unit": measurement.unit,
            "system": codes.UCUM,
            "code": measurement.unit,
        },
    }


def practitioner_resource(professional: ProfessionalRecord) -> Resource:
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": str(professional.id),
        "name": [
            {
                "family": professional.family_name,
                "given": [professional.given_name],
                **({"prefix": [professional.title]} if professional.title else {}),
            }
        ],
    }
    if professional.rpps:
        resource["identifier"] = [{"system": codes.IDNPS_SYSTEM, "value": f"8{professional.rpps}"}]
    return resource


def organization_resource(organization: OrganizationRecord) -> Resource:
    resource: Resource = {
        "resourceType": "Organization",
        "id": str(organization.id),
        "name": organization.name,
    }
    if organization.finess:
        resource["identifier"] = [{"system": codes.FINESS_SYSTEM, "value": organization.finess}]
    return resource


def document_resource(
    record: DocumentRecord, content: bytes, authors: list[dict[str, str]], replaces: uuid.UUID | None
) -> Resource:
    known = document_types().types.get(record.type_code)
    labels = [
        {"system": system, "code": code}
        for flag, (system, code) in codes.SECURITY_LABELS.items()
        if getattr(record, flag.value)
    ]
    resource: Resource = {
        "resourceType": "DocumentReference",
        "id": str(record.id),
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{record.id}"},
        "status": "current" if record.status == DocumentStatus.CURRENT.value else "superseded",
        "type": {
            "coding": [
                {
                    "system": codes.LOINC,
                    "code": record.type_code,
                    **({"display": known.label_fr} if known else {}),
                }
            ]
        },
        "category": [{"coding": [{"system": codes.CATEGORY_SYSTEM, "code": record.category}]}],
        "subject": reference(record.patient_id),
        "date": instant(record.deposited_at),
        "description": record.title,
        "content": [
            {
                "attachment": {
                    "contentType": record.mime_type,
                    "data": base64.b64encode(content).decode(),
                    "title": record.file_name,
                    "size": record.size_bytes,
                    # FHIR R4 names SHA-1 for Attachment.hash.
                    "hash": base64.b64encode(hashlib.sha1(content, usedforsecurity=False).digest()).decode(),
                }
            }
        ],
    }
    if authors:
        resource["author"] = authors
    if labels:
        resource["securityLabel"] = [{"coding": [label]} for label in labels]
    if replaces is not None:
        resource["relatesTo"] = [{"code": "replaces", "target": reference(replaces)}]
    if record.service_date is not None:
        resource["context"] = {"period": {"start": record.service_date.isoformat()}}
    return resource
