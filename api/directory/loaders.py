"""Dataloaders of the directory: one SQL statement per batch, results aligned with keys."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db import Database
from api.directory import queries
from api.directory.records import OrganizationRecord, PatientRecord, ProfessionalRecord

RecordT = TypeVar("RecordT")
Fetch = Callable[[AsyncConnection, Sequence[uuid.UUID]], Awaitable[Mapping[uuid.UUID, RecordT]]]


class _ByIdLoader(DataLoader[uuid.UUID, RecordT | None], Generic[RecordT]):
    """Loads records by primary key on a short-lived read connection."""

    fetch: Fetch[RecordT]

    def __init__(self, database: Database) -> None:
        super().__init__()
        self._database = database

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[RecordT | None]:
        async with self._database.read() as connection:
            found = await type(self).fetch(connection, list(set(keys)))
        return [found.get(key) for key in keys]


class PatientByIdLoader(_ByIdLoader[PatientRecord]):
    fetch = staticmethod(queries.patients_by_ids)


class OrganizationByIdLoader(_ByIdLoader[OrganizationRecord]):
    fetch = staticmethod(queries.organizations_by_ids)


class ProfessionalByIdLoader(_ByIdLoader[ProfessionalRecord]):
    """Professionals, their organizations read in the same statement and handed to
    the organizations' loader: `author { organization { name } }` costs one batch."""

    def __init__(self, database: Database, organizations: OrganizationByIdLoader) -> None:
        super().__init__(database)
        self._organizations = organizations

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[ProfessionalRecord | None]:
        async with self._database.read() as connection:
            found, organizations = await queries.professionals_with_organizations(connection, list(set(keys)))
        for organization in organizations.values():
            self._organizations.prime(organization.id, organization)
        return [found.get(key) for key in keys]
