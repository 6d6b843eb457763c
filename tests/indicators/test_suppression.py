"""The disclosure rules alone."""

from __future__ import annotations

from api.indicators.suppression import hide_group, hide_subset


def test_one_small_part_takes_the_next_smallest_with_it() -> None:
    hidden, total_hidden = hide_group({"A": 3, "B": 50, "C": 40, "D": 0}, 93, 10)
    assert hidden == {"A", "C"}
    assert not total_hidden


def test_two_small_parts_whose_sum_is_small_take_a_third() -> None:
    hidden, total_hidden = hide_group({"A": 3, "B": 4, "C": 40, "D": 50}, 97, 10)
    assert hidden == {"A", "B", "C"}
    assert not total_hidden


def test_the_total_goes_when_nothing_else_can_cover() -> None:
    hidden, total_hidden = hide_group({"A": 3, "B": 0}, 3, 10)
    assert hidden == {"A"}
    assert total_hidden
    hidden, total_hidden = hide_group({"A": 3, "B": 4}, 7, 10)
    assert total_hidden


def test_nothing_small_hides_nothing() -> None:
    assert hide_group({"A": 10, "B": 0}, 10, 10) == (set(), False)


def test_a_part_is_hidden_when_its_complement_is_small() -> None:
    assert hide_subset(10, 12, 10)
    assert not hide_subset(10, 30, 10)
    assert hide_subset(3, 30, 10)
