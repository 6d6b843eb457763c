"""A person's vaccination status against the calendar. Pure: no database, no clock.

The calendar is calendar.toml, evaluated by the agenda's own rules engine
(api.agenda.rules.evaluate) restricted to the calendar's programmes, so the
agenda and the status never disagree about what is due.

Due or late: an occurrence the engine proposes (due today or within its
upcoming window) is *late* when its due date is past by more than
`LATE_AFTER` (one month: the calendar's own tolerance for infant doses, e.g.
"11 mois" is given until 12), and *due* otherwise. Campaign vaccinations
(influenza, Covid-19) are never late: they are due for the whole campaign and
lapse when it closes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path

from api.agenda.durations import Duration
from api.agenda.evidence import Evidence, EvidenceKind, Person
from api.agenda.programmes import PROGRAMMES_FILE, Programmes, load_programmes
from api.agenda.rules import ProposalStatus, evaluate

CALENDAR_FILE = Path(__file__).with_name("calendar.toml")
LATE_AFTER = Duration(months=1)


class Source(StrEnum):
    PROFILE = "PROFILE"  # an entry of the medical profile
    DOCUMENT = "DOCUMENT"  # read from a deposited immunization note


@dataclass(frozen=True, slots=True)
class Vaccination:
    """One vaccination given, from wherever it is known."""

    label: str
    given_on: date
    source: Source
    ref: str  # the row it came from: a profile entry's or a plugin record's id
    document_id: str | None = None


@dataclass(frozen=True, slots=True)
class Done:
    vaccination: Vaccination
    programmes: tuple[str, ...]  # the calendar's programmes it counted for


@dataclass(frozen=True, slots=True)
class Due:
    programme: str  # the programme code, as in the agenda (`infant-dtcap-hib-hepb`)
    key: str  # the occurrence (`infant-dtcap-hib-hepb@4m`)
    title: str
    due_date: date
    reason: str  # in French


@dataclass(frozen=True, slots=True)
class Status:
    done: tuple[Done, ...]
    due: tuple[Due, ...]
    late: tuple[Due, ...]
    calendar_version: str


@dataclass(frozen=True, slots=True)
class Calendar:
    version: str
    programmes: Programmes  # the calendar's programmes with the core's conditions and campaigns


@cache
def calendar() -> Calendar:
    """The calendar, checked with the core's file (its condition groups are shared)."""
    with CALENDAR_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    merged = load_programmes(PROGRAMMES_FILE, ("vaccination", CALENDAR_FILE))
    ours = {code: merged.programmes[code] for code in data["programmes"]}
    return Calendar(str(data["version"]), merged.model_copy(update={"programmes": ours}))


def vaccination_status(
    person: Person, vaccinations: Iterable[Vaccination], today: date, *, of: Calendar | None = None
) -> Status:
    """What was done, what is due and what is late on `today` (a Europe/Paris day)."""
    of = of or calendar()
    given = sorted(vaccinations, key=lambda item: (item.given_on, item.label, item.ref), reverse=True)
    evidence = [
        Evidence(EvidenceKind.VACCINATION, item.given_on, label=item.label, ref=item.ref) for item in given
    ]
    counted: dict[str, set[str]] = {}
    due: list[Due] = []
    late: list[Due] = []
    for proposal in evaluate(person, evidence, today, catalogue=of.programmes):
        if proposal.status is ProposalStatus.DONE:
            if proposal.evidence is not None and proposal.evidence.ref is not None:
                counted.setdefault(proposal.evidence.ref, set()).add(proposal.rule_code)
            continue
        item = Due(proposal.rule_code, proposal.key, proposal.title, proposal.due_date, proposal.reason)
        seasonal = of.programmes.programmes[proposal.rule_code].schedule.type == "seasonal"
        overdue = proposal.status is ProposalStatus.DUE and LATE_AFTER.after(proposal.due_date) < today
        (late if overdue and not seasonal else due).append(item)
    done = tuple(Done(item, tuple(sorted(counted.get(item.ref, ())))) for item in given)
    return Status(done, tuple(due), tuple(late), of.version)
