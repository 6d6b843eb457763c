"""Sealing and opening document contents: the only code that touches the store."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from api.contents.crypto import ContentIntegrityError, decrypt, encrypt, new_key, parse_master_key
from api.contents.models import SpaceKey
from api.contents.store import ContentStore, LocalContentStore
from api.db import Database, utcnow
from api.settings import ContentStoreKind, Settings


@dataclass(frozen=True, slots=True)
class Sealed:
    blob_key: str
    sha256: str
    size_bytes: int


class Contents:
    def __init__(
        self, database: Database, store: ContentStore, master_key: bytes, previous_key: bytes | None = None
    ) -> None:
        self._database = database
        self._store = store
        self._master_key = master_key
        self.master_key_id = key_id(master_key)
        # During a rotation, data keys still wrapped by the previous master key open with it.
        self._previous = {key_id(previous_key): previous_key} if previous_key else {}

    async def _data_key(self, patient_id: uuid.UUID) -> bytes:
        """The space's data key, created (and wrapped) on first use."""
        row = await self._wrapped(patient_id)
        if row is None:
            candidate = encrypt(self._master_key, new_key(), patient_id.bytes)
            insert = sqlite_insert if self._database.is_sqlite else pg_insert
            async with self._database.engine.begin() as connection:
                await connection.execute(
                    insert(SpaceKey)
                    .values(
                        patient_id=patient_id,
                        wrapped_key=candidate,
                        master_key_id=self.master_key_id,
                        created_at=utcnow(),
                    )
                    .on_conflict_do_nothing()  # a concurrent first deposit may win: use its key
                )
            row = await self._wrapped(patient_id)
            if row is None:
                raise ContentIntegrityError("the space's data key could not be stored")
        wrapped, wrapped_by = row
        if wrapped_by == self.master_key_id:
            return decrypt(self._master_key, wrapped, patient_id.bytes)
        previous = self._previous.get(wrapped_by)
        if previous is None:
            raise ContentIntegrityError("this space's key was wrapped by an unknown master key")
        return decrypt(previous, wrapped, patient_id.bytes)

    async def _wrapped(self, patient_id: uuid.UUID) -> tuple[bytes, str] | None:
        async with self._database.read() as connection:
            row = (
                await connection.execute(
                    select(SpaceKey.wrapped_key, SpaceKey.master_key_id).where(
                        SpaceKey.patient_id == patient_id
                    )
                )
            ).first()
        return (row.wrapped_key, row.master_key_id) if row else None

    async def seal(self, patient_id: uuid.UUID, plaintext: bytes) -> Sealed:
        """Encrypt and store; the blob exists before any row points to it."""
        key = await self._data_key(patient_id)
        blob_id = os.urandom(32).hex()
        blob_key = f"{patient_id.hex}/{blob_id}"
        await self._store.put(blob_key, encrypt(key, plaintext, blob_key.encode()))
        return Sealed(blob_key, hashlib.sha256(plaintext).hexdigest(), len(plaintext))

    async def open(self, patient_id: uuid.UUID, blob_key: str, sha256: str) -> bytes:
        """Fetch, decrypt and check against the recorded digest of the plaintext."""
        key = await self._data_key(patient_id)
        plaintext = decrypt(key, await self._store.get(blob_key), blob_key.encode())
        if hashlib.sha256(plaintext).hexdigest() != sha256:
            raise ContentIntegrityError("content digest mismatch")
        return plaintext

    async def seal_text(self, patient_id: uuid.UUID, text: str, bound_to: uuid.UUID) -> bytes:
        """A short text of the space (a message body) encrypted with the space's data
        key, bound to the row that keeps it; for the database, not the store."""
        return encrypt(await self._data_key(patient_id), text.encode(), bound_to.bytes)

    async def open_texts(self, patient_id: uuid.UUID, sealed: list[tuple[bytes, uuid.UUID]]) -> list[str]:
        """Texts sealed by `seal_text`, the space's key fetched once for all."""
        if not sealed:
            return []
        key = await self._data_key(patient_id)
        return [decrypt(key, text, bound_to.bytes).decode() for text, bound_to in sealed]

    async def rewrap(self) -> int:
        """Wrap every data key still under a previous master key with the current one;
        contents are not touched. Returns how many keys moved."""
        moved = 0
        for old_id, old_key in self._previous.items():
            async with self._database.engine.begin() as connection:
                rows = (
                    await connection.execute(
                        select(SpaceKey.patient_id, SpaceKey.wrapped_key).where(
                            SpaceKey.master_key_id == old_id
                        )
                    )
                ).all()
                for patient_id, wrapped in rows:
                    data_key = decrypt(old_key, wrapped, patient_id.bytes)
                    await connection.execute(
                        update(SpaceKey)
                        .where(SpaceKey.patient_id == patient_id, SpaceKey.master_key_id == old_id)
                        .values(
                            wrapped_key=encrypt(self._master_key, data_key, patient_id.bytes),
                            master_key_id=self.master_key_id,
                        )
                    )
                    moved += 1
        return moved

    async def remove(self, blob_key: str) -> None:
        await self._store.delete(blob_key)

    async def sweep_partial_writes(self, *, grace_seconds: float) -> int:
        return await self._store.sweep_partial_writes(grace_seconds)

    async def orphans(
        self, referenced: Callable[[list[str]], Awaitable[set[str]]], *, grace_seconds: float
    ) -> list[str]:
        """Blobs no row points to, older than the grace period (a deposit in flight
        writes its blob before its row)."""
        candidates = await self._store.older_than(grace_seconds)
        orphaned = []
        for start in range(0, len(candidates), 500):
            batch = candidates[start : start + 500]
            known = await referenced(batch)
            orphaned.extend(key for key in batch if key not in known)
        return orphaned


def load_master_key(settings: Settings) -> bytes:
    """From ESPACE_CONTENT_MASTER_KEY; generated into var/ in development."""
    if settings.content_master_key is not None:
        return parse_master_key(settings.content_master_key.get_secret_value())
    if settings.is_production:
        raise RuntimeError("ESPACE_CONTENT_MASTER_KEY is required in production.")
    path = settings.var_dir / "content-master-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(base64.b64encode(new_key()).decode())
        except FileExistsError:
            pass
    return parse_master_key(path.read_text())


def key_id(master_key: bytes) -> str:
    """A short, non-secret name of a master key (which key wrapped which data key)."""
    return hashlib.sha256(b"espace master key id" + master_key).hexdigest()[:16]


def store_for(settings: Settings) -> ContentStore:
    """The content store the settings name: the only place that knows where bytes live."""
    if settings.content_store is ContentStoreKind.LOCAL:
        return LocalContentStore(settings.resolved_content_dir)
    try:
        from api.contents.s3 import S3ContentStore  # noqa: PLC0415 (boto3 is an optional extra)
    except ModuleNotFoundError as error:
        if error.name not in {"boto3", "botocore"}:
            raise
        raise RuntimeError(
            "ESPACE_CONTENT_STORE=s3 needs boto3: install espace-sante[s3] (pip install -e '.[s3]')."
        ) from error
    secret = settings.s3_secret_access_key
    return S3ContentStore(
        settings.s3_bucket or "",
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        prefix=settings.s3_prefix,
    )


def contents_for(settings: Settings, database: Database) -> Contents:
    previous = settings.previous_content_master_key
    return Contents(
        database,
        store_for(settings),
        load_master_key(settings),
        parse_master_key(previous.get_secret_value()) if previous else None,
    )
