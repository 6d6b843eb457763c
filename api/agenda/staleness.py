"""What the prevention rules read changed in a space: its agenda is recomputed
at its next read. Called in the transaction of the change, by every area that
writes what the rules read (documents, the profile, reimbursements, plugins'
evidence); the nightly `espace agenda refresh` recomputes every space anyway."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.agenda.models import AgendaState

# A state row made by a change before any computation: never current.
_NEVER = date(1970, 1, 1)


async def inputs_changed(connection: AsyncConnection, patient_ids: uuid.UUID | Iterable[uuid.UUID]) -> None:
    ids = sorted({patient_ids} if isinstance(patient_ids, uuid.UUID) else set(patient_ids))
    if not ids:
        return
    upsert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    statement = upsert(AgendaState)
    # Sorted, so that two imports touching the same spaces lock their rows in one order.
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["patient_id"], set_={"inputs_revision": AgendaState.inputs_revision + 1}
        ),
        [
            {
                "patient_id": patient_id,
                "computed_day": _NEVER,
                "inputs_mark": "",
                "inputs_revision": 1,
                "computed_revision": -1,
            }
            for patient_id in ids
        ],
    )
