"""`espace import`: FHIR R4 Bundles into the spaces they name.

A file is read whole (up to a size setting) and planned before anything is
written: it must be a valid Bundle (fhir.resources) naming one patient by a
valid INS whose space is open here and whose birth date agrees (identity
vigilance: never file data in the wrong space), and each resource must be
about that patient. Each resource is then imported, or refused with its
reason while the rest goes in; what was imported before is skipped. The
contents are sealed and their words extracted first, then one transaction
writes every row of the file, so a broken file, a clash or a crash never
leaves half an import (at worst orphan blobs, which `espace store gc`
collects).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.contents.service import Contents
from api.db import Database, new_id, utcnow
from api.directory import queries as directory
from api.directory.identifiers import is_valid_ins
from api.directory.models import SpaceStatus
from api.directory.records import PatientRecord
from api.dossier import formats
from api.dossier import service as dossier
from api.errors import Conflict
from api.interop.models import ImportedResource
from api.interop.reading import (
    INS_SYSTEMS,
    BundleView,
    Plan,
    PlannedDocument,
    RefusedFile,
    own_id,
    plan_of,
    read_bundle,
)
from api.interop.service import PLATFORM_ACCOUNT
from api.journal import service as journal
from api.journal.records import AccessAction, JournalRecord
from api.profile import service as profile

IMPORT_CLIENT = "espace-import"
IMPORTED_BY = ("IMPORT", "Import FHIR")


@dataclass
class FileReport:
    path: Path
    patient: str | None = None
    imported: Counter[str] = field(default_factory=Counter)
    already: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def bundle_files(path: Path) -> list[Path]:
    """The file itself, or the *.json files of a folder, in name order."""
    if path.is_dir():
        return sorted(item for item in path.glob("*.json") if item.is_file())
    return [path]


async def import_path(
    database: Database,
    contents: Contents,
    path: Path,
    *,
    max_bytes: int,
    max_file_bytes: int,
    progress: Callable[[int, int, Path], None] | None = None,
) -> list[FileReport]:
    files = bundle_files(path)
    reports = []
    for done, file in enumerate(files, start=1):
        reports.append(
            await import_file(database, contents, file, max_bytes=max_bytes, max_file_bytes=max_file_bytes)
        )
        if progress is not None:
            progress(done, len(files), file)
    return reports


async def import_file(
    database: Database, contents: Contents, path: Path, *, max_bytes: int, max_file_bytes: int
) -> FileReport:
    """`max_bytes`: the largest document; `max_file_bytes`: the largest Bundle file."""
    report = FileReport(path)
    try:
        view = BundleView(read_bundle(path, max_bytes=max_file_bytes))
        patient = await _space_of(database, view)
        report.patient = patient.display_name
        plan, report.refused = plan_of(view, patient.id, max_bytes)
        await _write(database, contents, plan, report)
    except RefusedFile as error:
        report.error = str(error)
    return report


async def _space_of(database: Database, view: BundleView) -> PatientRecord:
    patients = [resource for _, resource in view.entries if resource.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise RefusedFile(f"a Bundle names exactly one Patient (this one: {len(patients)})")
    view.patient = patients[0]
    ins = next(
        (
            str(identifier.get("value", "")).strip().upper()
            for identifier in view.patient.get("identifier") or []
            if isinstance(identifier, dict) and identifier.get("system") in INS_SYSTEMS
        ),
        None,
    )
    if ins is None or not is_valid_ins(ins):
        raise RefusedFile("the Patient has no valid INS (identifier system urn:oid:1.2.250.1.213.1.4.8)")
    async with database.read() as connection:
        patient_id = await directory.patient_id_by_ins(connection, ins)
        found = await directory.patients_by_ids(connection, [patient_id]) if patient_id else {}
    record = found.get(patient_id) if patient_id else None
    if record is None:
        raise RefusedFile(f"no space has the INS {ins}")
    if record.status != SpaceStatus.OPEN:
        raise RefusedFile(f"the space of INS {ins} is closed; nothing imported")
    if view.patient.get("birthDate") != record.birth_date.isoformat():
        raise RefusedFile(
            f"identity mismatch: the space of INS {ins} has another birth date; nothing imported"
        )
    return record


async def _known(database: Database, plan: Plan) -> set[str]:
    """Source keys already imported into this space, resources already here
    under their own id (a space's export imported back), and people to notify
    already in the profile."""
    keys = plan.keys()
    ids = {found: key for key in keys if (found := own_id(key)) is not None}
    known: set[str] = set()
    async with database.read() as connection:
        for start in range(0, len(keys), 500):  # bounded IN lists, whatever the size of the space
            known.update(
                await connection.scalars(
                    select(ImportedResource.source_key).where(
                        ImportedResource.patient_id == plan.patient_id,
                        ImportedResource.source_key.in_(keys[start : start + 500]),
                    )
                )
            )
        candidates = list(ids)
        for start in range(0, len(candidates), 500):
            batch = candidates[start : start + 500]
            present = await dossier.present_document_ids(connection, plan.patient_id, batch)
            present |= await profile.present_ids(connection, plan.patient_id, batch)
            known.update(ids[found] for found in present)
        people = await profile.people_to_notify(connection, plan.patient_id)
    known.update(entry.key for entry in plan.entries if (entry.label, entry.details) in people)
    return known


async def _replaced_ids(database: Database, plan: Plan, ids: dict[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """What each document's `replaces` reference points to: a document of this
    file, one imported before (by its source reference), or one of the space's own."""
    wanted = {item.replaces for item in plan.documents if item.replaces and item.replaces not in ids}
    found = dict(ids)
    if not wanted:
        return found
    async with database.read() as connection:
        rows = await connection.execute(
            select(ImportedResource.source_reference, ImportedResource.object_id).where(
                ImportedResource.patient_id == plan.patient_id,
                ImportedResource.source_reference.in_(sorted(wanted)),
            )
        )
        found.update(dict(rows.all()))
        own = {ref: own for ref in wanted - set(found) if (own := own_id(f"x/{ref}")) is not None}
        present = await dossier.present_document_ids(connection, plan.patient_id, list(own.values()))
    found.update({reference: some_id for reference, some_id in own.items() if some_id in present})
    return found


async def _directory(database: Database, documents: list[PlannedDocument]) -> dict[str, Any]:
    """Authors by RPPS and organizations by FINESS, as the directory knows them
    (an author unknown here stays unnamed rather than invented), with their names."""
    rpps = sorted({item.author_rpps for item in documents if item.author_rpps})
    finess = sorted({item.organization_finess for item in documents if item.organization_finess})
    async with database.read() as connection:
        professionals = await directory.professional_ids_by_rpps(connection, rpps)
        organizations = await directory.organization_ids_by_finess(connection, finess)
        people = await directory.professionals_by_ids(connection, list(professionals.values()))
        places = await directory.organizations_by_ids(connection, list(organizations.values()))
    names: dict[uuid.UUID, str] = {some_id: person.display_name for some_id, person in people.items()}
    names |= {some_id: place.name for some_id, place in places.items()}
    return {"professionals": professionals, "organizations": organizations, "names": names}


def _journal_record(patient_id: uuid.UUID, path: Path) -> JournalRecord:
    return JournalRecord(
        patient_id=patient_id,
        at=utcnow(),
        actor_kind="OPERATOR",
        actor_account_id=PLATFORM_ACCOUNT,
        actor_name=f"Espace Santé (import of {path.name[:120]})",
        client_id=IMPORT_CLIENT,
        action=AccessAction.IMPORT,
        object_type="Patient",
        object_id=str(patient_id),
    )


async def _document_rows(
    database: Database, contents: Contents, plan: Plan, documents: list[PlannedDocument]
) -> list[tuple[PlannedDocument, dict[str, Any], dossier.SearchWords]]:
    """Each document's row and words, its blob stored: all the slow work, before the transaction."""
    # Ids from the source's date, so that the newest-deposit order holds for imported documents.
    ids = {item.reference: new_id(at=item.row["deposited_at"]) for item in documents}
    targets = await _replaced_ids(database, plan, ids)
    known = await _directory(database, documents)
    prepared = []
    for item in documents:
        # The blob first: a crash before the commit leaves orphan blobs, never rows without content.
        blob = await contents.seal(plan.patient_id, item.content)
        author = known["professionals"].get(item.author_rpps or "")
        organization = known["organizations"].get(item.organization_finess or "")
        row = {
            **item.row,
            "id": ids[item.reference],
            "patient_id": plan.patient_id,
            "author_professional_id": author,
            "organization_id": organization,
            "depositor_kind": "IMPORT",
            "depositor_account_id": PLATFORM_ACCOUNT,
            "client_id": IMPORT_CLIENT,
            "file_name": formats.safe_file_name(item.row["file_name"], item.row["mime_type"]),
            "size_bytes": blob.size_bytes,
            "sha256": blob.sha256,
            "blob_key": blob.blob_key,
            "replaces_id": targets.get(item.replaces) if item.replaces else None,
        }
        words = await dossier.searchable_words(
            database.engine.dialect.name,
            row,
            item.content,
            known["names"].get(author),
            known["names"].get(organization),
        )
        prepared.append((item, row, words))
    return prepared


async def _write(database: Database, contents: Contents, plan: Plan, report: FileReport) -> None:
    known = await _known(database, plan)
    documents = [item for item in plan.documents if item.key not in known]
    entries = [item for item in plan.entries if item.key not in known]
    measurements = [item for item in plan.measurements if item.key not in known]
    report.already = len(plan.keys()) - len(documents) - len(entries) - len(measurements)
    if not (documents or entries or measurements):
        return
    prepared = await _document_rows(database, contents, plan, documents)
    imported: list[tuple[str, str | None, str, uuid.UUID]] = []
    try:
        async with database.session() as session:
            connection = await session.connection()
            for item, row, words in prepared:
                await dossier.insert_document(connection, row, words)
                imported.append((item.key, item.reference, "Document", row["id"]))
            # A version here replaces one already in the space: that one is no longer current.
            this_file = {row["id"] for _, row, _ in prepared}
            earlier = {row["replaces_id"] for _, row, _ in prepared if row["replaces_id"]} - this_file
            await dossier.mark_replaced(connection, plan.patient_id, sorted(earlier))
            for entry in entries:
                record = await profile.insert_entry(
                    connection,
                    plan.patient_id,
                    kind=entry.kind,
                    label=entry.label,
                    details=entry.details,
                    occurred_on=entry.occurred_on,
                    entered_by=IMPORTED_BY,
                )
                imported.append((entry.key, None, "ProfileEntry", record.id))
            for measurement in measurements:
                stored = await profile.insert_measurement(
                    connection,
                    plan.patient_id,
                    kind=measurement.kind,
                    value=measurement.value,
                    unit=measurement.unit,
                    measured_at=measurement.measured_at,
                    entered_by=IMPORTED_BY,
                )
                imported.append((measurement.key, None, "Measurement", stored.id))
            await _remember(connection, plan.patient_id, imported)
            await journal.append(connection, [_journal_record(plan.patient_id, report.path)])
    except Conflict as error:
        raise RefusedFile(
            "another import of this space ran at the same time; nothing imported, run it again"
        ) from error
    report.imported.update(kind for _, _, kind, _ in imported)


async def _remember(
    connection: AsyncConnection, patient_id: uuid.UUID, imported: list[tuple[str, str | None, str, uuid.UUID]]
) -> None:
    now: datetime = utcnow()
    for start in range(0, len(imported), 500):
        await connection.execute(
            ImportedResource.__table__.insert(),
            [
                {
                    "patient_id": patient_id,
                    "source_key": key,
                    "source_reference": reference,
                    "object_type": kind,
                    "object_id": object_id,
                    "imported_at": now,
                }
                for key, reference, kind, object_id in imported[start : start + 500]
            ],
        )
