"""The disclosure rules alone."""

from __future__ import annotations

from api.indicators.suppression import hide_group, hide_subset, too_few_contributors


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


def test_a_cell_of_fewer_than_three_organizations_or_one_dominant_is_theirs() -> None:
    assert too_few_contributors({"a": 40})
    assert too_few_contributors({"a": 40, "b": 30, "c": 0})
    assert too_few_contributors({"a": 90, "b": 5, "c": 5})  # 90 % by one
    assert not too_few_contributors({"a": 85, "b": 10, "c": 5})
    assert not too_few_contributors({"a": 10, "b": 10, "c": 10})
    assert not too_few_contributors({})


def test_a_sensitive_part_is_hidden_with_a_complement_whatever_its_count() -> None:
    hidden, total_hidden = hide_group({"A": 400, "B": 50, "C": 30, "D": 0}, 480, 10, {"A"})
    assert hidden == {"A", "C"}
    assert not total_hidden
    hidden, total_hidden = hide_group({"A": 400, "D": 0}, 400, 10, {"A"})
    assert (hidden, total_hidden) == ({"A"}, True)
