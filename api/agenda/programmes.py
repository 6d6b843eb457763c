"""The national prevention programmes, read from programmes.toml.

A programme says who is eligible (any one of its `eligible` blocks), when it
falls due (its schedule) and what shows it was done (its `done_by`
matchers; the patient's own mark always counts). Invalid files are refused
with the programme and the field named.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from api import plugins
from api.agenda.durations import Duration
from api.agenda.evidence import Condition, Evidence, EvidenceKind, mentions

PROGRAMMES_FILE = Path(__file__).with_name("programmes.toml")
RULE_CODE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class ProgrammesError(ValueError):
    """programmes.toml is invalid; the message names the programme and the field."""


def _duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    return Duration.parse(value)  # type: ignore[arg-type]  # non-strings are refused with the value named


DurationField = Annotated[Duration, BeforeValidator(_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Matcher(_Strict):
    """Evidence of `kind` whose code is one of `codes` (if any) and whose label
    mentions one of `keywords` (if any)."""

    kind: Literal["DOCUMENT", "ACT", "VACCINATION", "MEASUREMENT"]
    codes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _says_something(self) -> Matcher:
        if not self.codes and not self.keywords:
            raise ValueError("a matcher needs codes or keywords")
        if self.kind == "VACCINATION" and not self.keywords:
            raise ValueError("vaccinations are matched by keywords of their label")
        return self

    def matches(self, evidence: Evidence) -> bool:
        if evidence.kind.value != self.kind:
            return False
        if self.codes and (evidence.code or "").upper() not in {code.upper() for code in self.codes}:
            return False
        # Labels and titles only: a body saying "fond d'œil à prévoir" is not an eye examination.
        return not self.keywords or mentions(evidence.label, self.keywords)


class Eligibility(_Strict):
    sex: Literal["F", "M"] | None = None
    min_age: DurationField | None = None
    max_age: DurationField | None = None  # inclusive: "74y" is eligible until the 75th birthday
    conditions: tuple[str, ...] = ()  # condition groups, any one of them

    @model_validator(mode="after")
    def _bounds(self) -> Eligibility:
        if self.min_age is not None and self.max_age is not None:
            reference = date(2000, 1, 1)
            if self.min_age.after(reference) > self.max_age.after(reference):
                raise ValueError("min_age is above max_age")
        return self


class Schedule(_Strict):
    type: Literal["recurring", "ages", "seasonal"]
    # recurring: due at the start of eligibility, then `every` after the last done
    every: DurationField | None = None
    after_first: DurationField | None = None  # the interval after the first one, if different
    # ages: one occurrence per age, optionally repeated `then_every` after the last
    ages: tuple[DurationField, ...] = ()
    then_every: DurationField | None = None
    match: Literal["series", "window"] = "window"
    early: DurationField = Duration()  # evidence this long before the due age counts
    min_gap: DurationField | None = None  # series: the least interval between two doses
    expires_after: DurationField | None = None  # window: an undone occurrence lapses after this
    # seasonal: one occurrence per campaign of [campaigns]
    campaign: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        for name in ("every", "after_first", "then_every", "min_gap", "expires_after"):
            value = getattr(self, name)
            if value is not None and value.is_zero:
                raise ValueError(f"{name} must be longer than zero")
        if self.type == "recurring" and self.every is None:
            raise ValueError("a recurring schedule needs `every`")
        if self.type == "ages":
            if not self.ages:
                raise ValueError("an ages schedule needs `ages`")
            reference = date(2000, 1, 1)
            dues = [age.after(reference) for age in self.ages]
            if dues != sorted(set(dues)):
                raise ValueError("ages must be increasing")
        if self.type == "seasonal" and not self.campaign:
            raise ValueError("a seasonal schedule needs `campaign`")
        return self


class Programme(_Strict):
    title: str = Field(min_length=3)
    kind: Literal["SCREENING", "VACCINATION", "CHECKUP"]
    source: str = Field(min_length=10)
    eligible: tuple[Eligibility, ...] = Field(min_length=1)
    schedule: Schedule
    done_by: tuple[Matcher, ...] = Field(min_length=1)

    def matches(self, code: str, evidence: Evidence) -> bool:
        if evidence.kind is EvidenceKind.MARKED_DONE:
            return (evidence.code or "").split("@", 1)[0] == code
        return any(matcher.matches(evidence) for matcher in self.done_by)


class ConditionGroup(_Strict):
    label: str  # French, as it reads in a reason: "diabète"
    keywords: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # ICD-10 prefixes: "E11" covers "E11.9"
    includes: tuple[str, ...] = ()


_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class Campaign(_Strict):
    title: str
    start: str = Field(pattern=_MONTH_DAY)  # "10-15": opens each year on 15 October
    end: str = Field(pattern=_MONTH_DAY)  # before `start`: in the following year

    def opens(self, year: int) -> date:
        month, day = (int(part) for part in self.start.split("-"))
        return date(year, month, day)

    def closes(self, year: int) -> date:
        month, day = (int(part) for part in self.end.split("-"))
        return date(year + 1 if self.end < self.start else year, month, day)


class Programmes(_Strict):
    version: str
    campaigns: dict[str, Campaign] = {}
    conditions: dict[str, ConditionGroup] = {}
    programmes: dict[str, Programme]

    @model_validator(mode="after")
    def _references(self) -> Programmes:
        for name, group in self.conditions.items():
            unknown = set(group.includes) - set(self.conditions)
            if unknown:
                raise ValueError(f"condition group '{name}': unknown includes {sorted(unknown)}")
        for code, programme in self.programmes.items():
            if not re.match(RULE_CODE, code):
                raise ValueError(f"programme '{code}': code must be lower-case words joined by '-'")
            for block in programme.eligible:
                unknown = set(block.conditions) - set(self.conditions)
                if unknown:
                    raise ValueError(
                        f"programme '{code}', field eligible.conditions: unknown {sorted(unknown)}"
                    )
            campaign = programme.schedule.campaign
            if campaign is not None and campaign not in self.campaigns:
                raise ValueError(f"programme '{code}', field schedule.campaign: unknown '{campaign}'")
        return self

    def condition_match(self, group_name: str, condition: Condition) -> str | None:
        """How a reason names the condition: "diabète" for the diabetes group,
        "diabète (maladie chronique)" when found through an included group; None
        when the group does not recognise it."""
        inner = self._recognises(group_name, condition, set())
        if inner is None:
            return None
        label = self.conditions[group_name].label
        return label if inner == label else f"{inner} ({label})"

    def _recognises(self, group_name: str, condition: Condition, seen: set[str]) -> str | None:
        if group_name in seen:  # includes may loop; each group is looked at once
            return None
        seen.add(group_name)
        group = self.conditions[group_name]
        code = (condition.code or "").upper()
        if mentions(condition.label, group.keywords) or (
            code and any(code.startswith(prefix.upper()) for prefix in group.codes)
        ):
            return group.label
        for included in group.includes:
            inner = self._recognises(included, condition, seen)
            if inner is not None:
                return inner
        return None


def _describe(error: ValidationError, names: str) -> str:
    lines = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        if len(location) >= 2 and location[0] == "programmes":
            where = f"programme '{location[1]}'"
            field = ".".join(location[2:])
        else:
            where, field = "", ".".join(location)
        message = item["msg"].removeprefix("Value error, ")
        if where:
            lines.append(f"{where}, field {field or '(whole)'}: {message}")
        else:
            lines.append(f"field {field}: {message}" if field else message)
    return f"{names}: " + "; ".join(lines)


def _read(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ProgrammesError(f"{path.name}: not TOML: {error}") from error


def _merged(data: dict[str, object], extra: dict[str, object], origin: str) -> dict[str, object]:
    """The core's file with a plugin's: its programmes, campaigns and condition
    groups join the core's (a name taken twice is refused), its version is noted."""
    merged = dict(data)
    for section in ("campaigns", "conditions", "programmes"):
        theirs = extra.get(section, {})
        ours = dict(merged.get(section, {}))  # type: ignore[call-overload]
        if not isinstance(theirs, dict):
            raise ProgrammesError(f"{origin}: [{section}] must be a table")
        clash = sorted(set(ours) & set(theirs))
        if clash:
            raise ProgrammesError(f"{origin}: {section} {clash} already defined")
        merged[section] = ours | theirs
    unknown = sorted(set(extra) - {"version", "campaigns", "conditions", "programmes"})
    if unknown:
        raise ProgrammesError(f"{origin}: unknown section(s) {unknown}")
    merged["version"] = f"{merged.get('version')}+{origin}@{extra.get('version', '?')}"
    return merged


def load_programmes(path: Path, *extras: tuple[str, Path]) -> Programmes:
    """The programmes of `path`, with those of `extras` ((origin, path) pairs: the
    enabled plugins' files) checked together, references across files included."""
    data = _read(path)
    for origin, extra in extras:
        data = _merged(data, _read(extra), origin)
    try:
        return Programmes.model_validate(data)
    except ValidationError as error:
        names = ", ".join([path.name, *(extra.name for _, extra in extras)])
        raise ProgrammesError(_describe(error, names)) from error


@cache
def programmes(path: Path = PROGRAMMES_FILE) -> Programmes:
    """The core's programmes and those of the enabled plugins."""
    extras = [
        (plugin.name, plugin.programmes)
        for plugin in plugins.active().enabled
        if plugin.programmes is not None and path == PROGRAMMES_FILE
    ]
    return load_programmes(path, *extras)
