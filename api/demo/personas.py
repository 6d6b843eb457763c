"""Loading the demo personas from personas.toml, idempotently."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, new_id
from api.directory.identifiers import ins_key, is_valid_finess, is_valid_rpps
from api.directory.models import Account, Operator, Organization, OrganizationKind, Patient, Professional

PERSONAS_FILE = Path(__file__).with_name("personas.toml")
PARIS = ZoneInfo("Europe/Paris")

Digits = Annotated[str, StringConstraints(pattern=r"^\d+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationSpec(_Strict):
    name: str
    kind: OrganizationKind
    finess: Digits

    @model_validator(mode="after")
    def _finess_key(self) -> OrganizationSpec:
        if not is_valid_finess(self.finess):
            raise ValueError(f"FINESS {self.finess} has a wrong check digit")
        return self


class PatientSpec(_Strict):
    kind: Literal["patient"]
    given_name: str
    family_name: str
    sex: Literal["F", "M"]
    age_years: int | None = Field(default=None, ge=0, le=120)
    age_months: int | None = Field(default=None, ge=0, le=36)
    birthplace: Annotated[str, StringConstraints(pattern=r"^(\d{5}|2[AB]\d{3})$")]
    birth_order: Annotated[str, StringConstraints(pattern=r"^\d{3}$")]

    @model_validator(mode="after")
    def _one_age(self) -> PatientSpec:
        if (self.age_years is None) == (self.age_months is None):
            raise ValueError("give exactly one of age_years and age_months")
        return self

    def birth_date(self, today: date) -> date:
        months = self.age_months if self.age_months is not None else 12 * (self.age_years or 0)
        year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
        # A few weeks before that anniversary, so the age holds for a while.
        return date(year, month + 1, min(today.day, 28)) - timedelta(days=20)

    def ins(self, birth_date: date) -> str:
        nir = f"{2 if self.sex == 'F' else 1}{birth_date:%y%m}{self.birthplace}{self.birth_order}"
        return f"{nir}{ins_key(nir):02d}"


class ProfessionalSpec(_Strict):
    kind: Literal["professional"]
    title: str | None = None
    given_name: str
    family_name: str
    profession: str
    specialty: str | None = None
    rpps: Digits
    organization: str

    @model_validator(mode="after")
    def _rpps_key(self) -> ProfessionalSpec:
        if not is_valid_rpps(self.rpps):
            raise ValueError(f"RPPS {self.rpps} has a wrong check digit")
        return self


class OperatorSpec(_Strict):
    kind: Literal["operator"]
    given_name: str
    family_name: str


PersonaSpec = Annotated[PatientSpec | ProfessionalSpec | OperatorSpec, Field(discriminator="kind")]


class PersonasFile(_Strict):
    organizations: dict[str, OrganizationSpec]
    personas: dict[str, PersonaSpec]

    @model_validator(mode="after")
    def _known_organizations(self) -> PersonasFile:
        for handle, persona in self.personas.items():
            if isinstance(persona, ProfessionalSpec) and persona.organization not in self.organizations:
                raise ValueError(f"{handle}: unknown organization {persona.organization!r}")
        return self


def read_personas(path: Path = PERSONAS_FILE) -> PersonasFile:
    with path.open("rb") as handle:
        return PersonasFile.model_validate(tomllib.load(handle))


@dataclass(frozen=True, slots=True)
class LoadedPersona:
    handle: str
    kind: str
    account_id: uuid.UUID
    display_name: str


async def load_personas(database: Database, *, today: date | None = None) -> list[LoadedPersona]:
    """Create or update every persona; running it twice changes nothing more."""
    spec = read_personas()
    today = today or datetime.now(PARIS).date()
    async with database.session() as session:
        organizations = {
            key: await _upsert_organization(session, org) for key, org in spec.organizations.items()
        }
        loaded = []
        for handle, persona in spec.personas.items():
            account = await _account(session, handle)
            if isinstance(persona, PatientSpec):
                person_name = await _upsert_patient(session, account, persona, today)
            elif isinstance(persona, ProfessionalSpec):
                person_name = await _upsert_professional(
                    session, account, persona, organizations[persona.organization]
                )
            else:
                person_name = await _upsert_operator(session, account, persona)
            loaded.append(LoadedPersona(handle, persona.kind, account.id, person_name))
    return loaded


async def _account(session: AsyncSession, handle: str) -> Account:
    account = await session.scalar(select(Account).where(Account.handle == handle))
    if account is None:
        account = Account(id=new_id(), handle=handle)
    return account


async def _upsert_organization(session: AsyncSession, spec: OrganizationSpec) -> uuid.UUID:
    organization = await session.scalar(select(Organization).where(Organization.finess == spec.finess))
    if organization is None:
        organization = Organization(finess=spec.finess)
        session.add(organization)
    organization.name, organization.kind = spec.name, spec.kind.value
    await session.flush()
    return organization.id


async def _upsert_patient(session: AsyncSession, account: Account, spec: PatientSpec, today: date) -> str:
    patient = await session.get(Patient, account.patient_id) if account.patient_id else None
    if patient is None:
        birth_date = spec.birth_date(today)
        patient = Patient(ins=spec.ins(birth_date), birth_date=birth_date, sex=spec.sex)
        session.add(patient)
    patient.given_name, patient.family_name = spec.given_name, spec.family_name
    await session.flush()
    account.patient_id = patient.id
    session.add(account)
    await session.flush()
    return f"{patient.given_name} {patient.family_name}"


async def _upsert_professional(
    session: AsyncSession, account: Account, spec: ProfessionalSpec, organization_id: uuid.UUID
) -> str:
    professional = await session.scalar(select(Professional).where(Professional.rpps == spec.rpps))
    if professional is None:
        professional = Professional(rpps=spec.rpps)
        session.add(professional)
    professional.title, professional.given_name, professional.family_name = (
        spec.title,
        spec.given_name,
        spec.family_name,
    )
    professional.profession, professional.specialty = spec.profession, spec.specialty
    professional.organization_id = organization_id
    await session.flush()
    account.professional_id = professional.id
    session.add(account)
    await session.flush()
    name = f"{spec.given_name} {spec.family_name}"
    return f"{spec.title} {name}" if spec.title else name


async def _upsert_operator(session: AsyncSession, account: Account, spec: OperatorSpec) -> str:
    operator = await session.get(Operator, account.operator_id) if account.operator_id else None
    if operator is None:
        operator = Operator()
        session.add(operator)
    operator.given_name, operator.family_name = spec.given_name, spec.family_name
    await session.flush()
    account.operator_id = operator.id
    session.add(account)
    await session.flush()
    return f"{spec.given_name} {spec.family_name}"
