"""Statistical disclosure control of the published cells (pure functions).

Primary suppression: a count from 1 to `threshold - 1` is not published (a
zero is: "nobody" singles no one out). Complementary suppression, for a group
of parts published with their total (documents by sector): the total minus the
published parts gives the sum of the hidden ones, so at least two parts must
be hidden and their sum must itself reach the threshold; the next smallest
parts are hidden until it does, and if that cannot be done the total is hidden
too. Subset pairs (reminders followed among those sent, spaces with a key
datum among those opened) hide the part when its complement is small.

Contributors: a cell made by organizations (documents of a sender sector, a
category's deposit delays) is hidden when fewer than `MIN_CONTRIBUTORS`
organizations made it, or when one of them made more than `DOMINANCE` of it:
otherwise it publishes that organization's own figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

MIN_CONTRIBUTORS = 3
DOMINANCE = 0.85


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def too_few_contributors(contributions: Mapping[str, int]) -> bool:
    """Whether a cell is one organization's figure: fewer than three made it, or one made most of it."""
    total = sum(contributions.values())
    if total <= 0:
        return False
    makers = [count for count in contributions.values() if count > 0]
    return len(makers) < MIN_CONTRIBUTORS or max(makers) > DOMINANCE * total


def hide_group(
    parts: dict[str, int], total: int, threshold: int, sensitive: Set[str] = frozenset()
) -> tuple[set[str], bool]:
    """The parts to hide, and whether to hide the total, for parts published with their total;
    `sensitive` parts (too few contributors) are hidden whatever their count."""
    hidden = {
        name
        for name, count in parts.items()
        if is_small(count, threshold) or (name in sensitive and count > 0)
    }
    if is_small(total, threshold):
        return {name for name, count in parts.items() if count > 0}, True
    if not hidden:
        return hidden, False
    candidates = sorted((count, name) for name, count in parts.items() if name not in hidden and count > 0)

    def exposed() -> bool:
        return len(hidden) < 2 or sum(parts[name] for name in hidden) < threshold

    while exposed() and candidates:
        hidden.add(candidates.pop(0)[1])
    return hidden, exposed()


def hide_subset(part: int, whole: int, threshold: int) -> bool:
    """Whether a part of a published whole must be hidden: small itself, or small by difference."""
    return is_small(part, threshold) or is_small(whole - part, threshold) or is_small(whole, threshold)
