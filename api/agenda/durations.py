"""Ages and intervals of the prevention rules: "50y", "3m", "2w", "8d", "65y2m".

One date arithmetic for ages and intervals: adding months keeps the day of
the month, clamped to the month's last day. So a person born on 29 February
turns 50 on 28 February of a common year, and an HbA1c of 30 November is
due again on 28 February: a day early rather than in the next month.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)w)?(?:(\d+)d)?$")


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse "2y", "16m", "2w", "8d" or a combination in that order; refuse
        anything else (a sign included), naming the text."""
        match = _DURATION.match(text.strip()) if isinstance(text, str) else None
        if match is None or not any(match.groups()):
            raise ValueError(f"not a duration: {text!r} (expected e.g. '2y', '3m', '2w', '8d', '65y2m')")
        years, months, weeks, days = (int(group or 0) for group in match.groups())
        return cls(years, months, weeks, days)

    def __add__(self, other: Duration) -> Duration:
        return Duration(
            self.years + other.years,
            self.months + other.months,
            self.weeks + other.weeks,
            self.days + other.days,
        )

    @property
    def is_zero(self) -> bool:
        return not (self.years or self.months or self.weeks or self.days)

    def after(self, day: date) -> date:
        return add_months(day, self.years * 12 + self.months) + timedelta(weeks=self.weeks, days=self.days)

    def before(self, day: date) -> date:
        return add_months(day, -(self.years * 12 + self.months)) - timedelta(weeks=self.weeks, days=self.days)

    def end_of_age(self, birth: date) -> date:
        """The first day a person is older than this age in its smallest unit:
        "74y" ends on the 75th birthday, "23m" at 24 months."""
        if self.days or self.weeks:
            step = Duration(days=1)
        elif self.months:
            step = Duration(months=1)
        else:
            step = Duration(years=1)
        return step.after(self.after(birth))

    def french(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} an" + ("s" if self.years > 1 else ""))
        if self.months:
            parts.append(f"{self.months} mois")
        if self.weeks:
            parts.append(f"{self.weeks} semaine" + ("s" if self.weeks > 1 else ""))
        if self.days:
            parts.append(f"{self.days} jour" + ("s" if self.days > 1 else ""))
        return " et ".join(parts) or "0 jour"

    def __str__(self) -> str:
        text = "".join(
            f"{value}{unit}"
            for value, unit in zip((self.years, self.months, self.weeks, self.days), "ymwd", strict=True)
            if value
        )
        return text or "0d"


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def whole_months(birth: date, day: date) -> int:
    """Completed months from birth to day, with the clamping of add_months."""
    months = (day.year - birth.year) * 12 + day.month - birth.month
    while months > 0 and add_months(birth, months) > day:
        months -= 1
    return max(months, 0)


def age_in_french(birth: date, day: date) -> str:
    months = whole_months(birth, day)
    if months >= 24:
        return f"{months // 12} ans"
    if months >= 1:
        return f"{months} mois"
    days = (day - birth).days
    return f"{days} jour" + ("s" if days > 1 else "")
