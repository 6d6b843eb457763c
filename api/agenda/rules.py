"""The prevention rules engine: from a person's facts and evidence, the agenda
items the national programmes propose. Pure: no database, no clock.

`evaluate` is deterministic (same inputs, same list, whatever the order of
the evidence) and every proposal carries a stable occurrence key, so the
persistence layer can upsert on it:

- recurring: `<code>` for the first cycle (due when eligibility starts), then
  `<code>@<YYYY-MM-DD>` for the cycle started by the evidence of that day;
- ages: `<code>@<age>`, e.g. `infant-dtcap-hib-hepb@2m`, `adult-dtp-boosters@45y`;
- seasonal: `<code>@<year the campaign opens>`, e.g. `influenza-vaccination@2026`.

Statuses: DUE when the due date is today or past, UPCOMING when it falls
within `upcoming_window`, DONE for an occurrence the evidence satisfied (with
that evidence and the next due date). Later occurrences are not proposed:
they appear when they come within the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from api.agenda.durations import Duration, age_in_french
from api.agenda.evidence import Evidence, EvidenceKind, Person
from api.agenda.programmes import Eligibility, Programme, Programmes, ProgrammesError, programmes

__all__ = ["UPCOMING_WINDOW", "ProgrammesError", "Proposal", "ProposalStatus", "evaluate", "programmes"]

UPCOMING_WINDOW = timedelta(days=30)
_MAX_AGE = Duration(years=120)  # `then_every` repeats no further


class ProposalStatus(StrEnum):
    DUE = "DUE"
    UPCOMING = "UPCOMING"
    DONE = "DONE"


@dataclass(frozen=True, slots=True)
class Proposal:
    key: str  # stable per (rule, occurrence): the upsert key
    rule_code: str
    kind: str  # SCREENING, VACCINATION or CHECKUP
    title: str
    due_date: date
    status: ProposalStatus
    reason: str  # in French: which rule, which fact
    source: str
    evidence: Evidence | None = None  # what made it DONE
    next_due: date | None = None  # DONE: when the next occurrence falls due, if still eligible


@dataclass(frozen=True, slots=True)
class _Basis:
    """One eligibility block that holds for the person, from `start` until `end`."""

    rule: Eligibility
    start: date
    end: date | None
    facts: tuple[str, ...]  # conditions as reasons say them


@dataclass(frozen=True, slots=True)
class _Context:
    code: str
    programme: Programme
    person: Person
    today: date
    horizon: date  # today + upcoming window
    bases: tuple[_Basis, ...]
    matches: tuple[Evidence, ...]  # the programme's evidence, oldest first

    def basis_on(self, day: date) -> _Basis | None:
        return next((b for b in self.bases if b.start <= day and (b.end is None or day < b.end)), None)

    def status(self, due: date) -> ProposalStatus | None:
        if due <= self.today:
            return ProposalStatus.DUE
        return ProposalStatus.UPCOMING if due <= self.horizon else None

    def proposal(
        self,
        key: str,
        due: date,
        status: ProposalStatus,
        *,
        title: str | None = None,
        evidence: Evidence | None = None,
        next_due: date | None = None,
        basis: _Basis,
    ) -> Proposal:
        reason = _reason(
            self, basis, max(due, self.today) if status is ProposalStatus.UPCOMING else self.today
        )
        if evidence is not None:
            reason += f" Fait le {evidence.on:%d/%m/%Y}."
        return Proposal(
            key=key,
            rule_code=self.code,
            kind=self.programme.kind,
            title=title or self.programme.title,
            due_date=due,
            status=status,
            reason=reason,
            source=self.programme.source,
            evidence=evidence,
            next_due=next_due,
        )


def evaluate(
    person: Person,
    evidence: Iterable[Evidence],
    today: date,
    *,
    upcoming_window: timedelta = UPCOMING_WINDOW,
    catalogue: Programmes | None = None,
) -> list[Proposal]:
    """The proposals of every programme that applies to `person` on `today` (a
    Europe/Paris day), ordered by due date then key."""
    catalogue = catalogue or programmes()
    # Sorted, so that ties and the caller's order never change the answer.
    known = sorted(
        (item for item in evidence if person.birth_date <= item.on <= today),
        key=lambda item: (item.on, item.kind.value, item.code or "", item.label, item.ref or ""),
    )
    horizon = today + upcoming_window
    proposals: list[Proposal] = []
    for code, programme in catalogue.programmes.items():
        matches = tuple(item for item in known if programme.matches(code, item))
        first = matches[0].on if matches else None
        bases = tuple(
            basis
            for rule in programme.eligible
            if (basis := _basis(rule, person, catalogue, today, first)) is not None
            and basis.start <= horizon
            and (basis.end is None or basis.end > today)
        )
        if not bases:
            continue
        context = _Context(code, programme, person, today, horizon, bases, matches)
        schedule = programme.schedule.type
        if schedule == "recurring":
            proposals.extend(_recurring(context))
        elif schedule == "ages":
            proposals.extend(_ages(context))
        else:
            proposals.extend(_seasonal(context, catalogue))
    return sorted(proposals, key=lambda proposal: (proposal.due_date, proposal.key))


def _basis(
    rule: Eligibility, person: Person, catalogue: Programmes, today: date, first: date | None
) -> _Basis | None:
    if rule.sex is not None and person.sex != rule.sex:
        return None
    start = rule.min_age.after(person.birth_date) if rule.min_age else person.birth_date
    end = rule.max_age.end_of_age(person.birth_date) if rule.max_age else None
    facts: list[str] = []
    if rule.conditions:
        onsets: list[date] = []
        for condition in person.conditions:
            for group in rule.conditions:
                label = catalogue.condition_match(group, condition)
                if label is not None:
                    facts.append(f"{label} dans votre profil (« {condition.label} »)")
                    # An undated condition is known since its first follow-up found, else from
                    # today: keys stay stable, only a never-done first due date moves with today.
                    onsets.append(condition.since or first or today)
                    break
        if not facts:
            return None
        start = max(start, min(onsets))
    return _Basis(rule, start, end, tuple(facts))


def _recurring(context: _Context) -> list[Proposal]:
    schedule = context.programme.schedule
    every = schedule.every
    assert every is not None  # checked when the file is loaded  # noqa: S101

    def interval(done_so_far: int) -> Duration:
        return schedule.after_first if done_so_far == 1 and schedule.after_first else every

    start = min(basis.start for basis in context.bases)
    days = sorted({item.on for item in context.matches})
    last_of_day = {item.on: item for item in context.matches}  # the latest-sorted evidence of each day
    # Done shortly before eligibility started (a mammography at 49): the first cycle is already covered.
    covering = [day for day in days if day < start and interval(1).after(day) > start]
    if covering:
        anchor = covering[-1]
        key, due, count = f"{context.code}@{anchor}", interval(1).after(anchor), 1
        later = [day for day in days if day > anchor]
    else:
        key, due, count = context.code, start, 0
        later = [day for day in days if day >= start]
    proposals: list[Proposal] = []
    done: tuple[str, date, Evidence] | None = None
    for day in later:
        done = (key, due, last_of_day[day])
        count += 1
        key, due = f"{context.code}@{day}", interval(count).after(day)
    next_basis = context.basis_on(max(due, context.today))
    if done is not None:
        done_key, done_due, done_by = done
        basis = context.basis_on(context.today) or context.bases[0]
        next_due = due if context.basis_on(max(due, context.today)) is not None else None
        proposals.append(
            context.proposal(
                done_key, done_due, ProposalStatus.DONE, evidence=done_by, next_due=next_due, basis=basis
            )
        )
    status = context.status(due)
    if status is not None and next_basis is not None:
        proposals.append(context.proposal(key, due, status, basis=next_basis))
    return proposals


def _ages(context: _Context) -> list[Proposal]:
    schedule = context.programme.schedule
    ages = _expand(context)
    keys = [f"{context.code}@{age}" for age in ages]
    dues = [age.after(context.person.birth_date) for age in ages]
    exact = {item.code: item for item in context.matches if item.code in keys}  # marks naming the occurrence
    pool = [item for item in context.matches if item.code not in keys]
    assign = _series if schedule.match == "series" else _windows
    done = assign(context, dues, keys, exact, pool)

    proposals: list[Proposal] = []
    basis_today = context.basis_on(context.today) or context.bases[0]
    for index, (key, age) in enumerate(zip(keys, ages, strict=True)):
        title = f"{context.programme.title} ({age.french()})"
        following = dues[index + 1] if index + 1 < len(dues) else None
        if key in done:
            item = done[key]
            next_due = following
            if next_due is not None and schedule.min_gap is not None:
                next_due = max(next_due, schedule.min_gap.after(item.on))
            if next_due is not None and context.basis_on(max(next_due, context.today)) is None:
                next_due = None
            proposals.append(
                context.proposal(
                    key,
                    dues[index],
                    ProposalStatus.DONE,
                    title=title,
                    evidence=item,
                    next_due=next_due,
                    basis=basis_today,
                )
            )
            continue
        due = _pending_due(context, index, dues, keys, done)
        status = context.status(due) if due is not None else None
        basis = context.basis_on(max(due, context.today)) if due is not None else None
        if due is not None and status is not None and basis is not None:
            proposals.append(context.proposal(key, due, status, title=title, basis=basis))
    return proposals


def _expand(context: _Context) -> list[Duration]:
    """The schedule's ages, repeated `then_every` until one past the upcoming horizon."""
    schedule = context.programme.schedule
    ages = list(schedule.ages)
    step = schedule.then_every
    if step is not None:
        limit = min(context.horizon, _MAX_AGE.after(context.person.birth_date))
        while True:
            ages.append(ages[-1] + step)
            if ages[-1].after(context.person.birth_date) > limit:
                break  # one past the horizon: the next due date of the last one done
    return ages


def _pending_due(
    context: _Context, index: int, dues: list[date], keys: list[str], done: dict[str, Evidence]
) -> date | None:
    """When an undone occurrence is due, or None when it is not to be proposed."""
    schedule = context.programme.schedule
    due = dues[index]
    if schedule.match == "series":
        if index == 0:
            return due
        previous = done.get(keys[index - 1])
        if previous is None:
            return None  # only the next dose of a series is proposed
        return max(due, schedule.min_gap.after(previous.on)) if schedule.min_gap else due
    lapses = [dues[index + 1]] if index + 1 < len(dues) else []
    if schedule.expires_after is not None:
        lapses.append(schedule.expires_after.after(due))
    if lapses and context.today >= min(lapses):
        return None  # missed: the next occurrence (or nothing) takes over
    return due


def _series(
    context: _Context,
    dues: list[date],
    keys: list[str],
    exact: dict[str | None, Evidence],
    pool: list[Evidence],
) -> dict[str, Evidence]:
    """The n-th matching evidence since the series could start is its n-th dose."""
    earliest = context.programme.schedule.early.before(dues[0])
    remaining = [item for item in pool if item.on >= earliest]
    done: dict[str, Evidence] = {}
    for key in keys:
        if key in exact:
            done[key] = exact[key]
        elif remaining:
            done[key] = remaining.pop(0)
    return done


def _windows(
    context: _Context,
    dues: list[date],
    keys: list[str],
    exact: dict[str | None, Evidence],
    pool: list[Evidence],
) -> dict[str, Evidence]:
    """Each occurrence is done by the last evidence from `early` before its due
    age until `early` before the next one; the first window opens with eligibility."""
    early = context.programme.schedule.early
    eligible_from = min(basis.start for basis in context.bases)
    done: dict[str, Evidence] = {}
    for index, key in enumerate(keys):
        if key in exact:
            done[key] = exact[key]
            continue
        opens = early.before(min(dues[index], eligible_from) if index == 0 else dues[index])
        closes = early.before(dues[index + 1]) if index + 1 < len(dues) else None
        inside = [item for item in pool if opens <= item.on and (closes is None or item.on < closes)]
        if inside:
            done[key] = inside[-1]
    return done


def _seasonal(context: _Context, catalogue: Programmes) -> list[Proposal]:
    campaign_name = context.programme.schedule.campaign
    assert campaign_name is not None  # checked when the file is loaded  # noqa: S101
    campaign = catalogue.campaigns[campaign_name]
    today = context.today
    current = today.year if today >= campaign.opens(today.year) else today.year - 1
    proposals: list[Proposal] = []
    for year in (current, current + 1):
        opens, closes, next_opens = campaign.opens(year), campaign.closes(year), campaign.opens(year + 1)
        key = f"{context.code}@{year}"
        # Done by evidence since the campaign opened, or by a mark naming this season.
        since = [
            item for item in context.matches if opens <= item.on < next_opens and not _names_other(item, key)
        ]
        since = since or [item for item in context.matches if item.code == key]
        if since:
            basis = context.basis_on(today) or context.bases[0]
            next_due = next_opens if context.basis_on(max(next_opens, today)) is not None else None
            proposals.append(
                context.proposal(
                    key, opens, ProposalStatus.DONE, evidence=since[-1], next_due=next_due, basis=basis
                )
            )
            continue
        if today > closes:
            continue  # the campaign is over
        status = context.status(opens)
        basis = context.basis_on(max(opens, today))
        if status is not None and basis is not None:
            proposals.append(context.proposal(key, opens, status, basis=basis))
    return proposals


def _names_other(item: Evidence, key: str) -> bool:
    return item.kind is EvidenceKind.MARKED_DONE and "@" in (item.code or "") and item.code != key


def _reason(context: _Context, basis: _Basis, on: date) -> str:
    rule = basis.rule
    facts: list[str] = []
    if rule.sex is not None:
        facts.append("femme" if rule.sex == "F" else "homme")
    if rule.min_age is not None or rule.max_age is not None:
        if rule.min_age is not None and rule.max_age is not None:
            bounds = f"de {_age_bound(rule.min_age, rule.max_age)} à {rule.max_age.french()}"
        elif rule.min_age is not None:
            bounds = f"{rule.min_age.french()} ou plus"
        else:
            bounds = f"jusqu'à {rule.max_age.french()}" if rule.max_age else ""
        age = age_in_french(context.person.birth_date, on)
        when = f" le {on:%d/%m/%Y}" if on > context.today else ""
        facts.append(f"âge : {age}{when} ({bounds})")
    facts.extend(basis.facts)
    return f"{context.programme.title}, {_rhythm(context.programme)} : {' ; '.join(facts)}."


def _age_bound(low: Duration, high: Duration) -> str:
    # "de 50 à 74 ans" rather than "de 50 ans à 74 ans" when both are in years.
    if low.years and high.years and not (low.months or low.weeks or low.days):
        return str(low.years)
    return low.french()


def _rhythm(programme: Programme) -> str:
    schedule = programme.schedule
    if schedule.type == "recurring" and schedule.every is not None:
        return (
            "chaque année" if schedule.every == Duration(years=1) else f"tous les {schedule.every.french()}"
        )
    if schedule.type == "seasonal":
        return "chaque automne"
    return "aux âges prévus" if len(schedule.ages) > 1 or schedule.then_every else "une fois"
