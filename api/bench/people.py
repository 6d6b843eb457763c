"""The dataset's people: organizations, professionals, patients, their accounts,
their spaces' data keys and care teams, drawn in memory then written by COPY."""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import asyncpg

from api.access.models import CareRole
from api.bench import texts
from api.bench.bulk import Progress, copy
from api.bench.identities import Ids, finess, ins, rpps
from api.contents.crypto import encrypt

LAB_NAME = "Laboratoire BioBench (flux de dépôt)"


@dataclass(frozen=True, slots=True)
class Organization:
    id: uuid.UUID
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class Professional:
    id: uuid.UUID
    account_id: uuid.UUID
    display_name: str
    profession: texts.Profession
    organization: Organization


@dataclass(slots=True)
class PatientSeed:
    serial: int
    id: uuid.UUID
    account_id: uuid.UUID
    birth_date: date
    sex: str
    given_name: str
    family_name: str
    data_key: bytes
    team: list[Professional] = field(default_factory=list)  # the médecin traitant first

    @property
    def handle(self) -> str:
        return handle_of(self.serial)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def handle_of(serial: int) -> str:
    """A generated patient's account handle (serials from 1)."""
    return f"bench-patient-{serial}"


@dataclass(frozen=True, slots=True)
class Population:
    organizations: list[Organization]
    professionals: list[Professional]
    patients: list[PatientSeed]
    laboratory: Organization


def _organizations(rng: random.Random, ids: Ids, now: datetime, count: int) -> list[Organization]:
    kinds = list(texts.ORGANIZATION_NAMES)
    found = []
    for number in range(count):
        kind = kinds[number % len(kinds)]
        name = f"{rng.choice(texts.ORGANIZATION_NAMES[kind])} {rng.choice(texts.CITIES)} {number + 1}"
        found.append(Organization(ids.at(now), name, kind))
    return found


def draw(rng: random.Random, ids: Ids, now: datetime, *, patients: int, professionals: int) -> Population:
    organizations = _organizations(rng, ids, now, max(professionals // 6, len(texts.ORGANIZATION_NAMES)))
    laboratory = Organization(ids.at(now), LAB_NAME, "LABORATORY")
    by_kind: dict[str, list[Organization]] = {}
    for organization in organizations:
        by_kind.setdefault(organization.kind, []).append(organization)
    weights = [profession.weight for profession in texts.PROFESSIONS]
    pros = []
    for _ in range(professionals):
        profession = rng.choices(texts.PROFESSIONS, weights)[0]
        female = rng.random() < 0.55
        given = rng.choice(texts.GIVEN_NAMES_F if female else texts.GIVEN_NAMES_M)
        name = f"{given} {rng.choice(texts.FAMILY_NAMES)}"
        display = f"{profession.title} {name}" if profession.title else name
        organization = rng.choice(by_kind[profession.organization_kind])
        pros.append(Professional(ids.at(now), ids.at(now), display, profession, organization))
    gps = [pro for pro in pros if pro.profession.specialty == "general medicine"] or pros[:1]
    today = now.date()
    seeds = []
    for serial in range(1, patients + 1):
        birth = today - timedelta(days=rng.randint(365, 95 * 365))
        sex = rng.choice("FM")
        given = rng.choice(texts.GIVEN_NAMES_F if sex == "F" else texts.GIVEN_NAMES_M)
        family = rng.choice(texts.FAMILY_NAMES)
        seed = PatientSeed(
            serial, ids.at(now), ids.at(now), birth, sex, given, family, os.urandom(32), [rng.choice(gps)]
        )
        for other in rng.sample(pros, rng.randint(2, 4) + 1):
            if other not in seed.team and len(seed.team) < 5:
                seed.team.append(other)
        seeds.append(seed)
    return Population(organizations, pros, seeds, laboratory)


def _split(display_name: str, profession: texts.Profession) -> tuple[str, str]:
    name = display_name.removeprefix(f"{profession.title} ") if profession.title else display_name
    given, family = name.split(" ", 1)
    return given, family


async def write(
    connection: asyncpg.Connection,
    population: Population,
    *,
    master_key: bytes,
    master_key_id: str,
    now: datetime,
    progress: bool,
) -> None:
    """Organizations, professionals, patients, accounts, data keys and care teams, by COPY."""
    bar = Progress("people", len(population.patients) + len(population.professionals), enabled=progress)
    organizations = [*population.organizations, population.laboratory]
    await copy(
        connection,
        "organizations",
        ("id", "name", "kind", "finess", "created_at"),
        [(o.id, o.name, o.kind, finess(n), now) for n, o in enumerate(organizations, start=1)],
    )
    pro_rows, account_rows = [], []
    for number, pro in enumerate(population.professionals, start=1):
        given, family = _split(pro.display_name, pro.profession)
        pro_rows.append(
            (
                pro.id,
                rpps(number),
                pro.profession.title,
                given,
                family,
                pro.profession.profession,
                pro.profession.specialty,
                pro.organization.id,
                False,
                now,
            )
        )
        account_rows.append((pro.account_id, f"bench-pro-{number}", None, pro.id, now))
    await copy(
        connection,
        "professionals",
        (
            "id",
            "rpps",
            "title",
            "given_name",
            "family_name",
            "profession",
            "specialty",
            "organization_id",
            "emergency_regulation",
            "created_at",
        ),
        pro_rows,
    )
    await copy(
        connection, "accounts", ("id", "handle", "patient_id", "professional_id", "created_at"), account_rows
    )
    bar.advance(len(pro_rows))
    rng = random.Random(len(population.patients))
    for start in range(0, len(population.patients), 5_000):
        chunk = population.patients[start : start + 5_000]
        patients, accounts, keys, care = [], [], [], []
        for seed in chunk:
            patients.append(
                (
                    seed.id,
                    ins(seed.serial, seed.birth_date, seed.sex),
                    seed.given_name,
                    seed.family_name,
                    seed.birth_date,
                    seed.sex,
                    "OPEN",
                    now,
                    now,
                )
            )
            accounts.append((seed.account_id, seed.handle, seed.id, None, now))
            # As api.contents.service wraps a space's data key: bound to the patient id.
            keys.append((seed.id, encrypt(master_key, seed.data_key, seed.id.bytes), master_key_id, now))
            since = now.date() - timedelta(days=rng.randint(30, 3000))
            for rank, pro in enumerate(seed.team):
                role = CareRole.MEDECIN_TRAITANT if rank == 0 else CareRole.DECLARED_BY_PATIENT
                care.append((seed.id, pro.id, role.value, since, seed.account_id, None, now))
        await copy(
            connection,
            "patients",
            (
                "id",
                "ins",
                "given_name",
                "family_name",
                "birth_date",
                "sex",
                "status",
                "opened_at",
                "created_at",
            ),
            patients,
        )
        await copy(
            connection, "accounts", ("id", "handle", "patient_id", "professional_id", "created_at"), accounts
        )
        await copy(
            connection, "space_keys", ("patient_id", "wrapped_key", "master_key_id", "created_at"), keys
        )
        await copy(
            connection,
            "care_relationships",
            (
                "patient_id",
                "professional_id",
                "role",
                "since",
                "declared_by_account_id",
                "consent_statement",
                "created_at",
            ),
            care,
        )
        bar.advance(len(chunk))
    bar.close()
