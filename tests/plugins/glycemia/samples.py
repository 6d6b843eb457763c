"""Lab results carrying HbA1c, in the two structured formats, and a way to
deposit them as the laboratory's professional would."""

from __future__ import annotations

import json
import uuid

from api.access.service import Access
from api.contents.service import Contents
from api.db import Database
from api.dossier import service
from api.dossier.records import DocumentRecord
from api.identity.dev_tokens import find_account
from api.identity.service import principal_for
from api.plugin_context import HookContext
from api.plugins import HookEvent
from plugins.glycemia.hooks import on_document_added
from tests.factories import TestPatient, TestProfessional

LAB_REPORT = "11502-2"


def cda(*observations: tuple[str, str, str | None], code: str = "4548-4") -> bytes:
    """A CDA R2 lab report; each observation is (value, unit, effectiveTime or None)."""
    entries = "".join(
        f"""<entry><observation classCode="OBS" moodCode="EVN">
          <code code="{code}" codeSystem="2.16.840.1.113883.6.1" displayName="HbA1c"/>
          <statusCode code="completed"/>
          {f'<effectiveTime value="{when}"/>' if when else ""}
          <value xsi:type="PQ" value="{value}" unit="{unit}"/>
        </observation></entry>"""
        for value, unit, when in observations
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <title>Bilan biologique</title>
  <component><structuredBody><component><section>
    <code code="18719-5" codeSystem="2.16.840.1.113883.6.1"/>
    <text>Bilan biologique</text>
    {entries}
  </section></component></structuredBody></component>
</ClinicalDocument>
""".encode()


def observation(value: float, unit: str = "%", when: str | None = "2026-09-15T08:30:00+02:00") -> dict:
    resource: dict = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }
    if when:
        resource["effectiveDateTime"] = when
    return resource


def fhir(*resources: dict) -> bytes:
    if len(resources) == 1:
        return json.dumps(resources[0]).encode()
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    ).encode()


async def deposit(
    database: Database,
    contents: Contents,
    patient: TestPatient,
    by: TestProfessional,
    content: bytes,
    *,
    title: str = "Bilan biologique",
    type_code: str = LAB_REPORT,
    replaces_id: uuid.UUID | None = None,
) -> DocumentRecord:
    account = await find_account(database, str(by.account_id))
    principal = principal_for(account, {"client_id": "test", "jti": "t", "scope": "documents:write"})
    request = service.DepositRequest(
        patient_id=patient.person_id,
        patient_ins=None,
        title=title,
        type_code=type_code,
        service_date=None,
        hidden_from_patient=False,
        replaces_id=replaces_id,
    )
    return await service.deposit(
        Access(principal, database), contents, request, service.Upload(content, None, None), max_bytes=10**6
    )


async def run_hook(
    database: Database, contents: Contents, record: DocumentRecord, *, type_code: str | None = None
) -> None:
    """The hook as the relay runs it: one event, one transaction."""
    event = HookEvent(
        id=uuid.uuid4(),
        kind="dossier.document_added",
        patient_id=record.patient_id,
        payload={"documentId": str(record.id), "typeCode": type_code or record.type_code},
    )
    async with database.session() as session:
        await on_document_added(event, HookContext("glycemia", await session.connection(), contents))
