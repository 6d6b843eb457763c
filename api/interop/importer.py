"""`espace import`: FHIR R4 Bundles into the spaces they name.

A file is read whole and planned before anything is written: it must be a
valid Bundle (fhir.resources) naming one patient by a valid INS whose space
exists here and whose birth date agrees (identity vigilance: never file data
in the wrong space). Each resource is then imported, or refused with its
reason while the rest goes in; already-imported resources are skipped. The
contents are sealed first, then one transaction writes every row of the file,
so a broken file or a crash never leaves half an import (at worst orphan
blobs, which `espace store gc` collects).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.contents.service import Contents
from api.db import Database, new_id, utcnow
from api.directory import queries as directory
from api.directory.identifiers import is_valid_ins
from api.dossier import service as dossier
from api.errors import BadUserInput
from api.interop.models import ImportedResource
from api.interop.reading import (
    INS_SYSTEMS,
    Plan,
    PlannedDocument,
    Refused,
    RefusedFile,
    name_of,
    plan_resource,
    read_bundle,
    resources_of,
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
    progress: Callable[[int, int, Path], None] | None = None,
) -> list[FileReport]:
    files = bundle_files(path)
    reports = []
    for done, file in enumerate(files, start=1):
        reports.append(await import_file(database, contents, file, max_bytes=max_bytes))
        if progress is not None:
            progress(done, len(files), file)
    return reports


async def import_file(database: Database, contents: Contents, path: Path, *, max_bytes: int) -> FileReport:
    report = FileReport(path)
    try:
        bundle = read_bundle(path)
        patient = await _space_of(database, bundle)
        report.patient = patient.display_name
        plan = Plan(patient.id)
        for resource in resources_of(bundle):
            try:
                plan_resource(plan, bundle, resource, max_bytes)
            except (Refused, BadUserInput) as refusal:
                reason = refusal.message if isinstance(refusal, BadUserInput) else str(refusal)
                report.refused.append((name_of(resource), reason))
        await _write(database, contents, plan, report)
    except RefusedFile as error:
        report.error = str(error)
    return report


async def _space_of(database: Database, bundle: dict[str, Any]) -> Any:
    patients = [resource for resource in resources_of(bundle) if resource["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise RefusedFile(f"a Bundle names exactly one Patient (this one: {len(patients)})")
    (patient,) = patients
    ins = next(
        (
            str(identifier.get("value", "")).strip().upper()
            for identifier in patient.get("identifier") or []
            if identifier.get("system") in INS_SYSTEMS
        ),
        None,
    )
    if ins is None or not is_valid_ins(ins):
        raise RefusedFile("the Patient has no valid INS (identifier system urn:oid:1.2.250.1.213.1.4.8)")
    async with database.read() as connection:
        patient_id = await directory.patient_id_by_ins(connection, ins)
        record = (
            (await directory.patients_by_ids(connection, [patient_id])).get(patient_id)
            if patient_id
            else None
        )
    if record is None:
        raise RefusedFile(f"no space has the INS {ins}")
    if patient.get("birthDate") != record.birth_date.isoformat():
        raise RefusedFile(
            f"identity mismatch: the space of INS {ins} has another birth date; nothing imported"
        )
    return record


async def _known(database: Database, plan: Plan) -> set[str]:
    """Source keys already imported into this space, and resources that are
    already here under their own id (a space's export imported back)."""
    keys = [item.key for item in (*plan.documents, *plan.entries, *plan.measurements)]
    ids: dict[uuid.UUID, str] = {}
    for item in (*plan.documents, *plan.entries, *plan.measurements):
        try:
            ids[uuid.UUID(item.key.rsplit("/", 1)[-1].removeprefix("urn:ietf:rfc:3986|urn:uuid:"))] = item.key
        except ValueError:
            continue
    async with database.read() as connection:
        known = set(
            await connection.scalars(
                select(ImportedResource.source_key).where(
                    ImportedResource.patient_id == plan.patient_id, ImportedResource.source_key.in_(keys)
                )
            )
        )
        candidates = list(ids)
        present = await dossier.present_document_ids(connection, plan.patient_id, candidates)
        present |= await profile.present_ids(connection, plan.patient_id, candidates)
    known.update(ids[found] for found in present)
    return known


async def _directory_ids(
    database: Database, documents: list[PlannedDocument]
) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    """Professionals by RPPS and organizations by FINESS, as the directory knows them
    (an author unknown here stays unnamed rather than invented)."""
    rpps = {item.author_rpps for item in documents if item.author_rpps}
    finess = {item.organization_finess for item in documents if item.organization_finess}
    async with database.read() as connection:
        professionals = await directory.professional_ids_by_rpps(connection, sorted(rpps))
        organizations = await directory.organization_ids_by_finess(connection, sorted(finess))
    return professionals, organizations


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


async def _write(database: Database, contents: Contents, plan: Plan, report: FileReport) -> None:
    known = await _known(database, plan)
    documents = [item for item in plan.documents if item.key not in known]
    entries = [item for item in plan.entries if item.key not in known]
    measurements = [item for item in plan.measurements if item.key not in known]
    report.already = (
        len(plan.documents)
        + len(plan.entries)
        + len(plan.measurements)
        - (len(documents) + len(entries) + len(measurements))
    )
    if not (documents or entries or measurements):
        return
    ids = {item.reference: new_id() for item in documents}
    professionals, organizations = await _directory_ids(database, documents)
    # The blobs first: a crash before the commit leaves orphan blobs, never rows without content.
    sealed = [await contents.seal(plan.patient_id, item.content) for item in documents]
    imported: list[tuple[str, str, uuid.UUID]] = []
    try:
        async with database.session() as session:
            connection = await session.connection()
            for item, blob in zip(documents, sealed, strict=True):
                row = {
                    **item.row,
                    "id": ids[item.reference],
                    "patient_id": plan.patient_id,
                    "author_professional_id": professionals.get(item.author_rpps or ""),
                    "organization_id": organizations.get(item.organization_finess or ""),
                    "depositor_kind": "IMPORT",
                    "depositor_account_id": PLATFORM_ACCOUNT,
                    "client_id": IMPORT_CLIENT,
                    "file_name": dossier.formats.safe_file_name(item.row["file_name"], item.row["mime_type"]),
                    "size_bytes": blob.size_bytes,
                    "sha256": blob.sha256,
                    "blob_key": blob.blob_key,
                    "replaces_id": ids.get(item.replaces) if item.replaces else None,
                }
                words = await dossier.searchable_words(connection.dialect.name, row, item.content, None, None)
                await dossier.insert_document(connection, row, words)
                imported.append((item.key, "Document", row["id"]))
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
                imported.append((entry.key, "ProfileEntry", record.id))
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
                imported.append((measurement.key, "Measurement", stored.id))
            session.add_all(
                ImportedResource(
                    patient_id=plan.patient_id, source_key=key, object_type=kind, object_id=object_id
                )
                for key, kind, object_id in imported
            )
            await session.flush()
            await journal.append(connection, [_journal_record(plan.patient_id, report.path)])
    except IntegrityError as error:
        raise RefusedFile(
            "another import of this space ran at the same time; nothing imported, run it again"
        ) from error
    report.imported.update(kind for _, kind, _ in imported)
