"""Fixtures of the interoperability tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories


@pytest.fixture
async def space(database):
    """A patient, and a laboratory biologist of their care team known by RPPS."""
    from api.directory.models import Patient, Professional

    patient = await factories.make_patient(database)
    lab = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, lab)
    async with database.read() as connection:
        birth = await connection.scalar(select(Patient.birth_date).where(Patient.id == patient.person_id))
        rpps = await connection.scalar(select(Professional.rpps).where(Professional.id == lab.person_id))
    assert rpps
    return patient, lab, birth.isoformat(), rpps
