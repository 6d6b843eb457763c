"""Loading the demo personas from personas.toml, idempotently."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access.models import CareRelationship, CareRole, Representation, RepresentationKind
from api.access.policy import SpacePart
from api.db import Database, new_id, utcnow
from api.directory.identifiers import ins_key, is_valid_finess, is_valid_rpps
from api.directory.models import Account, Operator, Organization, OrganizationKind, Patient, Professional
from api.oauth.passwords import hash_password
from api.timezones import paris_today

PERSONAS_FILE = Path(__file__).with_name("personas.toml")
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of the demo personas

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
    emergency_regulation: bool = False

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


class CareTeamSpec(_Strict):
    patient: str
    professional: str
    role: CareRole


class RepresentationSpec(_Strict):
    patient: str
    representative: str
    kind: RepresentationKind
    parts: list[SpacePart] = Field(default_factory=list)
    expires_in_days: int | None = Field(default=None, ge=1)


class PersonasFile(_Strict):
    organizations: dict[str, OrganizationSpec]
    personas: dict[str, PersonaSpec]
    care_team: list[CareTeamSpec] = Field(default_factory=list)
    representation: list[RepresentationSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_references(self) -> PersonasFile:
        for handle, persona in self.personas.items():
            if isinstance(persona, ProfessionalSpec) and persona.organization not in self.organizations:
                raise ValueError(f"{handle}: unknown organization {persona.organization!r}")
        for link in self.care_team:
            self._expect(link.patient, PatientSpec)
            self._expect(link.professional, ProfessionalSpec)
        for link in self.representation:
            self._expect(link.patient, PatientSpec)
            self._expect(link.representative, PatientSpec)
        return self

    def _expect(self, handle: str, kind: type) -> None:
        if not isinstance(self.personas.get(handle), kind):
            # A ValueError, not a TypeError: pydantic reports ValueErrors as validation errors.
            kind_name = kind.__name__.removesuffix("Spec").lower()
            raise ValueError(f"{handle!r} is not a {kind_name} persona")  # noqa: TRY004


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
    today = today or paris_today()
    async with database.session() as session:
        organizations = {
            key: await _upsert_organization(session, org) for key, org in spec.organizations.items()
        }
        loaded = []
        accounts: dict[str, Account] = {}
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
            accounts[handle] = account
        for link in spec.care_team:
            await _upsert_care_relationship(
                session, accounts[link.patient], accounts[link.professional], link.role
            )
        for representation in spec.representation:
            await _upsert_representation(session, accounts, representation)
    return loaded


async def _upsert_care_relationship(
    session: AsyncSession, patient: Account, professional: Account, role: CareRole
) -> None:
    key = {"patient_id": patient.patient_id, "professional_id": professional.professional_id}
    relationship = await session.get(CareRelationship, key)
    if relationship is None:
        relationship = CareRelationship(
            **key, since=paris_today() - timedelta(days=400), declared_by_account_id=patient.id
        )
        session.add(relationship)
    relationship.role = role.value
    await session.flush()


async def _upsert_representation(
    session: AsyncSession, accounts: dict[str, Account], spec: RepresentationSpec
) -> None:
    key = {
        "patient_id": accounts[spec.patient].patient_id,
        "representative_id": accounts[spec.representative].patient_id,
    }
    representation = await session.get(Representation, key)
    if representation is None:
        expires_at = utcnow() + timedelta(days=spec.expires_in_days) if spec.expires_in_days else None
        representation = Representation(**key, expires_at=expires_at)
        session.add(representation)
    representation.kind = spec.kind.value
    representation.parts = " ".join(part.value for part in spec.parts)
    await session.flush()


async def _account(session: AsyncSession, handle: str) -> Account:
    account = await session.scalar(select(Account).where(Account.handle == handle))
    if account is None:
        account = Account(id=new_id(), handle=handle)
    if account.password_hash is None:
        # PERSONAS.md: every persona logs in with the password `demo` (development only).
        account.password_hash = hash_password(DEMO_PASSWORD)
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
    professional.emergency_regulation = spec.emergency_regulation
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
