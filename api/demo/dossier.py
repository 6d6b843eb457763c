"""The demo's documents: Nadia's quarterly HbA1c from the laboratory's feed (as
text, and as a structured CDA result), her GP's report, the dietitian's plan; a
document of the teen hidden from the parents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from api.access.policy import VisibilityFlag
from api.access.service import Access
from api.contents.service import Contents
from api.db import Database
from api.directory import queries
from api.directory.records import AccountRecord
from api.dossier import service
from api.dossier.models import Document
from api.identity.dev_tokens import find_account
from api.identity.principal import Principal, PrincipalKind
from api.identity.scopes import Scope
from api.identity.service import principal_for
from api.timezones import paris_today

CDA_REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <title>Compte rendu de consultation - suivi du diabète</title>
  <component><structuredBody><component><section><text>
    Diabète de type 2 équilibré sous régime. HbA1c à 7,1 %. Poursuite du suivi diététique.
    Prochain bilan : fond d'œil et créatininémie.
  </text></section></component></structuredBody></component>
</ClinicalDocument>
"""


def hba1c_lab_report(day: date, percent: str) -> bytes:
    """The laboratory's structured result (CDA R2, LOINC 4548-4), which the glycemia
    plugin reads once its hooks ran."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <code code="11502-2" codeSystem="2.16.840.1.113883.6.1" displayName="Laboratory report"/>
  <title>Compte rendu d'examens biologiques - hémoglobine glyquée</title>
  <effectiveTime value="{day:%Y%m%d}"/>
  <component><structuredBody><component><section>
    <title>Biochimie</title>
    <text>Hémoglobine glyquée (HbA1c) : {percent.replace(".", ",")} %</text>
    <entry><observation classCode="OBS" moodCode="EVN">
      <code code="4548-4" codeSystem="2.16.840.1.113883.6.1" displayName="HbA1c"/>
      <statusCode code="completed"/>
      <effectiveTime value="{day:%Y%m%d}0800+0200"/>
      <value xsi:type="PQ" value="{percent}" unit="%"/>
    </observation></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>
""".encode()


@dataclass(frozen=True, slots=True)
class DemoDocument:
    patient: str
    by: str  # a persona handle, or "feed"
    title: str
    type_code: str
    content: bytes
    hidden_from_representatives: bool = False


DOCUMENTS = [
    DemoDocument(
        "nadia",
        "feed",
        "Hémoglobine glyquée (HbA1c) - trimestriel",
        "11502-2",
        "Hémoglobine glyquée HbA1c : 7,1 % (objectif < 7 %).\nGlycémie à jeun : 1,32 g/L.".encode(),
    ),
    DemoDocument(
        "nadia",
        "feed",
        "Hémoglobine glyquée (HbA1c) - résultat structuré",
        "11502-2",
        hba1c_lab_report(paris_today(), "7.2"),
    ),
    DemoDocument(
        "nadia", "gp", "Compte rendu de consultation - suivi du diabète", "11488-4", CDA_REPORT.encode()
    ),
    DemoDocument(
        "nadia",
        "dietitian",
        "Plan alimentaire personnalisé",
        "18776-5",
        "Plan alimentaire : trois repas, féculents complets, activité physique 30 min par jour.".encode(),
    ),
    DemoDocument(
        "nadia",
        "gp",
        "Ordonnance - metformine 1000 mg",
        "57833-6",
        "Metformine 1000 mg : un comprimé matin et soir, pendant 3 mois.".encode(),
    ),
    DemoDocument(
        "teen",
        "teen",
        "Consultation confidentielle",
        "11488-4",
        "Consultation au centre de santé sexuelle.".encode(),
        hidden_from_representatives=True,
    ),
]
LAB_FEED_PRINCIPAL_CLIENT = "biosud-lab-feed"


async def deposit_demo_documents(database: Database, contents: Contents) -> int:
    """Deposit what is missing (matched by patient and title); returns how many were added."""
    added = 0
    for document in DOCUMENTS:
        patient = await find_account(database, document.patient)
        if patient is None or patient.patient_id is None:
            raise RuntimeError("load the personas before the demo documents")
        async with database.read() as connection:
            exists = await connection.scalar(
                select(Document.id).where(
                    Document.patient_id == patient.patient_id, Document.title == document.title
                )
            )
        if exists is not None:
            continue
        principal = await _depositor(database, document.by)
        request = service.DepositRequest(
            patient_id=None if principal.feed else patient.patient_id,
            patient_ins=await _ins(database, patient) if principal.feed else None,
            title=document.title,
            type_code=document.type_code,
            service_date=None,
            hidden_from_patient=False,
        )
        access = Access(principal, database)
        record = await service.deposit(
            access,
            contents,
            request,
            service.Upload(document.content, None, None),
            max_bytes=len(document.content) + 1,
        )
        if document.hidden_from_representatives:  # the teen hides it herself
            await service.set_visibility(
                access, record.id, {VisibilityFlag.HIDDEN_FROM_REPRESENTATIVES: True}
            )
        added += 1
    return added


async def _depositor(database: Database, handle: str) -> Principal:
    claims = {"client_id": "espace-demo", "jti": "demo", "scope": Scope.DOCUMENTS_WRITE.value}
    if handle == "feed":
        account = await _account(database, "lab")
        lab = principal_for(account, claims)
        return Principal(
            kind=PrincipalKind.PROFESSIONAL,
            account_id=lab.account_id,
            display_name="BioSud LIMS (deposit feed)",
            client_id=LAB_FEED_PRINCIPAL_CLIENT,
            scopes=frozenset({Scope.DOCUMENTS_WRITE.value}),
            token_id="demo",  # noqa: S106 - an identifier, not a secret
            organization_id=lab.organization_id,
            organization_name=lab.organization_name,
            feed=True,
        )
    return principal_for(await _account(database, handle), claims)


async def _account(database: Database, handle: str) -> AccountRecord:
    account = await find_account(database, handle)
    if account is None:
        raise RuntimeError(f"load the personas before the demo documents (no {handle})")
    return account


async def _ins(database: Database, account: AccountRecord) -> str:
    async with database.read() as connection:
        records = await queries.patients_by_ids(connection, [account.patient_id])
    return records[account.patient_id].ins
