"""The demo personas: all there, valid identifiers, loaded idempotently."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from api.demo.personas import PatientSpec, PersonasFile, load_personas, read_personas
from api.directory.identifiers import is_valid_ins
from api.directory.models import Account, Organization, Patient, Professional

HANDLES = {
    "nadia",
    "gp",
    "lab",
    "dietitian",
    "pharmacist",
    "cardiologist",
    "nurse",
    "parent",
    "teen",
    "toddler",
    "senior",
    "caregiver",
    "operator",
}


def test_every_persona_of_personas_md_is_declared() -> None:
    assert set(read_personas().personas) >= HANDLES


async def _counts(database) -> tuple[int, ...]:
    async with database.read() as connection:
        return tuple(
            [
                await connection.scalar(select(func.count()).select_from(table))
                for table in (Account, Patient, Professional, Organization)
            ]
        )


async def test_loading_twice_creates_nothing_more(database) -> None:
    before = await _counts(database)
    loaded = await load_personas(database)
    assert await _counts(database) == before
    assert {persona.handle for persona in loaded} >= HANDLES


async def test_patients_have_valid_ins_matching_their_birth(database) -> None:
    async with database.read() as connection:
        rows = (await connection.execute(select(Patient.ins, Patient.birth_date, Patient.sex))).all()
    assert rows
    for ins, birth_date, sex in rows:
        assert is_valid_ins(ins), ins
        assert ins[1:5] == f"{birth_date:%y%m}"
        assert ins[0] == ("2" if sex == "F" else "1")


def test_ages_are_relative_to_the_day_of_loading() -> None:
    spec = read_personas().personas["toddler"]
    assert isinstance(spec, PatientSpec)
    born = spec.birth_date(date(2030, 3, 31))
    months = (2030 - born.year) * 12 + 3 - born.month - (born.day > 31)
    assert months == 14


def test_a_broken_personas_file_is_refused() -> None:
    data = read_personas().model_dump(mode="json")
    data["personas"]["gp"]["rpps"] = "10001352467"  # wrong check digit
    with pytest.raises(ValidationError, match="check digit"):
        PersonasFile.model_validate(data)
    data = read_personas().model_dump(mode="json")
    data["personas"]["gp"]["organization"] = "nowhere"
    with pytest.raises(ValidationError, match="unknown organization"):
        PersonasFile.model_validate(data)
