"""The rows of a chunk of spaces: documents (with their words), reimbursements,
and message threads, drawn from a seeded generator.

Documents' contents: the dashboard, the professional read and search read
metadata and the search vector only, so each space gets two small sealed blobs
(a PDF and a CDA, through the content store and the space's data key, as a
deposit seals) and each of its documents points to the one of its format,
with that blob's digest and size. Downloads therefore work and verify; only
the extracted text indexed for search differs from document to document.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from api.bench import texts
from api.bench.identities import Ids
from api.bench.people import PatientSeed, Population, Professional
from api.contents.crypto import encrypt
from api.contents.store import ContentStore
from api.dossier import formats
from api.dossier.document_types import document_types
from api.identity.service import SOFTWARE_NAMESPACE

# A professional's software depositing on their behalf (not registered: it only names the origin).
PROFESSIONAL_SOFTWARE = "bench-professional-software"
LAB_TYPE = "11502-2"
DOSSIER_YEARS = 3

DOCUMENT_COLUMNS = (
    "patient_id",
    "id",
    "type_code",
    "category",
    "title",
    "service_date",
    "deposited_at",
    "author_professional_id",
    "organization_id",
    "depositor_kind",
    "depositor_account_id",
    "client_id",
    "mime_type",
    "file_name",
    "size_bytes",
    "sha256",
    "blob_key",
    "status",
    "masked_from_professionals",
    "hidden_from_patient",
    "hidden_from_representatives",
    "masked_even_in_emergency",
)
REIMBURSEMENT_COLUMNS = (
    "patient_id",
    "id",
    "line_id",
    "care_date",
    "act_code",
    "act_label",
    "category",
    "professional_id",
    "professional_name",
    "charged_cents",
    "base_cents",
    "rate_percent",
    "reimbursed_cents",
    "complementary_cents",
    "participation_forfaitaire_cents",
    "franchise_cents",
    "out_of_pocket_cents",
    "paid_on",
    "hidden_from_representatives",
    "imported_at",
)
THREAD_COLUMNS = (
    "patient_id",
    "id",
    "subject",
    "started_by_professional_id",
    "last_message_at",
    "created_at",
)
PARTICIPANT_COLUMNS = ("thread_id", "professional_id")
MESSAGE_COLUMNS = (
    "thread_id",
    "id",
    "patient_id",
    "sent_at",
    "sender_kind",
    "sender_account_id",
    "sender_professional_id",
    "sender_name",
    "body_sealed",
    "read_at",
)


@dataclass(frozen=True, slots=True)
class Sizes:
    documents: int = 50
    chronic_documents: int = 5_000
    messages: int = 10
    reimbursement_months: int = 12


@dataclass(slots=True)
class Chunk:
    """Rows of some spaces, ready for COPY; `documents` rows end with the words to index."""

    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    documents: list[tuple[Any, ...]] = field(default_factory=list)
    reimbursements: list[tuple[Any, ...]] = field(default_factory=list)
    threads: list[tuple[Any, ...]] = field(default_factory=list)
    participants: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Blob:
    key: str
    sha256: str
    size: int


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
        b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R>> endobj\n"
        + f"4 0 obj <</Length {len(stream)}>> stream\n".encode()
        + stream
        + b"\nendstream endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )


def _cda(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">'
        f"<title>Document de synthèse</title><component><structuredBody><component><section><text>{text}"
        "</text></section></component></structuredBody></component></ClinicalDocument>\n"
    ).encode()


class ChunkMaker:
    def __init__(
        self,
        population: Population,
        ids: Ids,
        rng: random.Random,
        now: datetime,
        sizes: Sizes,
        *,
        lab_client: str,
    ) -> None:
        self.population, self.ids, self.rng, self.now, self.sizes = population, ids, rng, now, sizes
        self.lab_client = lab_client
        self.lab_account = uuid.uuid5(SOFTWARE_NAMESPACE, lab_client)  # how a feed appears as depositor
        self.bank = texts.SentenceBank(rng)
        self.types = document_types().types
        self._type_codes = [code for code, _, _ in texts.DOCUMENT_TYPES]
        self._type_weights = [weight for _, weight, _ in texts.DOCUMENT_TYPES]
        self._titles = {code: titles for code, _, titles in texts.DOCUMENT_TYPES}
        self._act_weights = [act.weight for act in texts.ACTS]

    def make(self, seeds: list[PatientSeed], chronic: uuid.UUID) -> Chunk:
        chunk = Chunk()
        for seed in seeds:
            blobs = self._blobs(seed, chunk)
            count = self.sizes.chronic_documents if seed.id == chronic else self.sizes.documents
            self._documents(seed, count, blobs, chunk)
            self._reimbursements(seed, chunk)
            self._messages(seed, chunk)
        return chunk

    def _blobs(self, seed: PatientSeed, chunk: Chunk) -> dict[str, _Blob]:
        found = {}
        line = f"Espace Sante - dossier de {seed.display_name} - document de reference"
        for mime, content in ((formats.PDF, _pdf(line)), (formats.CDA, _cda(line))):
            key = f"{seed.id.hex}/{os.urandom(32).hex()}"
            # As Contents.seal: the space's data key, bound to the blob's key.
            chunk.blobs.append((key, encrypt(seed.data_key, content, key.encode())))
            found[mime] = _Blob(key, hashlib.sha256(content).hexdigest(), len(content))
        return found

    def _author(self, seed: PatientSeed) -> Professional:
        rng = self.rng
        return rng.choice(seed.team) if rng.random() < 0.75 else rng.choice(self.population.professionals)

    def _documents(self, seed: PatientSeed, count: int, blobs: dict[str, _Blob], chunk: Chunk) -> None:
        rng, today = self.rng, self.now.date()
        lab = self.population.laboratory
        for code in rng.choices(self._type_codes, self._type_weights, k=count):
            known = self.types[code]
            title = rng.choice(self._titles[code])
            service_date = today - timedelta(days=rng.randint(1, DOSSIER_YEARS * 365))
            deposited_at = min(
                datetime.combine(service_date, time(rng.randint(7, 19), rng.randint(0, 59)), UTC)
                + timedelta(days=rng.randint(0, 5)),
                self.now,
            )
            if code == LAB_TYPE:  # the laboratory's feed: no person behind it
                author, organization, kind, account, client = (
                    None,
                    lab,
                    "FEED",
                    self.lab_account,
                    self.lab_client,
                )
                author_name = ""
            else:
                pro = self._author(seed)
                author, organization, kind = pro.id, pro.organization, "PROFESSIONAL"
                account, client, author_name = pro.account_id, PROFESSIONAL_SOFTWARE, pro.display_name
            mime = formats.PDF if rng.random() < 0.8 else formats.CDA
            blob = blobs[mime]
            file_name = formats.safe_file_name(f"{title} {service_date.isoformat()}", mime)
            body = self.bank.body(code, rng)
            # What a deposit indexes (dossier.service.searchable_words): the title, then the
            # type's label, the author, the organization and the document's own text.
            rest = " ".join(part for part in (known.label_fr, author_name, organization.name, body) if part)
            chunk.documents.append(
                (
                    seed.id,
                    self.ids.at(deposited_at),
                    code,
                    known.category,
                    title,
                    service_date,
                    deposited_at,
                    author,
                    organization.id,
                    kind,
                    account,
                    client,
                    mime,
                    file_name,
                    blob.size,
                    blob.sha256,
                    blob.key,
                    "CURRENT",
                    rng.random() < 0.02,  # a few the patient masked from professionals
                    False,
                    False,
                    False,
                    f"{title} {rest}",
                )
            )

    def _reimbursements(self, seed: PatientSeed, chunk: Chunk) -> None:
        rng, today = self.rng, self.now.date()
        number = 0
        for month in range(self.sizes.reimbursement_months):
            for act in rng.choices(texts.ACTS, self._act_weights, k=rng.randint(1, 3)):
                number += 1
                care_date = today - timedelta(days=month * 30 + rng.randint(0, 29))
                pro = rng.choice(seed.team) if act.category != "HOSPITAL" else None
                insured = act.base * act.rate // 100
                reimbursed = max(insured - act.participation_forfaitaire - act.franchise, 0)
                complementary = act.base - insured
                chunk.reimbursements.append(
                    (
                        seed.id,
                        self.ids.at(datetime.combine(care_date, time(12), UTC)),
                        f"BENCH-{seed.serial}-{number:03d}",
                        care_date,
                        act.code,
                        act.label,
                        act.category,
                        pro.id if pro else None,
                        pro.display_name if pro else None,
                        act.charged,
                        act.base,
                        act.rate,
                        reimbursed,
                        complementary,
                        act.participation_forfaitaire,
                        act.franchise,
                        act.charged - reimbursed - complementary,
                        care_date + timedelta(days=rng.randint(2, 10)),
                        False,
                        self.now,
                    )
                )

    def _messages(self, seed: PatientSeed, chunk: Chunk) -> None:
        rng = self.rng
        thread_count = min(rng.randint(2, 3), self.sizes.messages) if self.sizes.messages else 0
        per_thread = [self.sizes.messages // thread_count] * thread_count if thread_count else []
        for extra in range(self.sizes.messages - sum(per_thread)):
            per_thread[extra] += 1
        for pro, count in zip(rng.sample(seed.team, thread_count), per_thread, strict=True):
            sent_at = self.now - timedelta(days=rng.randint(30, 180), minutes=rng.randint(0, 1440))
            thread_id = self.ids.at(sent_at)
            started = sent_at
            for number in range(count):
                from_pro = number % 2 == 0
                message_id = self.ids.at(sent_at)
                body = rng.choice(texts.PROFESSIONAL_MESSAGES if from_pro else texts.PATIENT_MESSAGES)
                last = number == count - 1
                chunk.messages.append(
                    (
                        thread_id,
                        message_id,
                        seed.id,
                        sent_at,
                        "PROFESSIONAL" if from_pro else "PATIENT",
                        pro.account_id if from_pro else seed.account_id,
                        pro.id if from_pro else None,
                        pro.display_name if from_pro else seed.display_name,
                        # As messaging.service seals a body: the space's key, bound to the message id.
                        encrypt(seed.data_key, body.encode(), message_id.bytes),
                        # The latest message of a thread is still unread by the other side.
                        None if last else sent_at + timedelta(hours=rng.randint(1, 48)),
                    )
                )
                if not last:
                    sent_at += timedelta(days=rng.randint(1, 4), minutes=rng.randint(0, 600))
            subject = rng.choice(texts.THREAD_SUBJECTS)
            chunk.threads.append((seed.id, thread_id, subject, pro.id, sent_at, started))
            chunk.participants.append((thread_id, pro.id))


async def store_blobs(store: ContentStore, blobs: list[tuple[str, bytes]]) -> None:
    """Blobs before the rows that point to them, as every deposit does; a few at a
    time (a local store fsyncs each)."""
    gate = asyncio.Semaphore(16)

    async def put(key: str, sealed: bytes) -> None:
        async with gate:
            await store.put(key, sealed)

    await asyncio.gather(*(put(key, sealed) for key, sealed in blobs))
