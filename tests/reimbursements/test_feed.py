"""The statement feed's lines: exact cents, every field checked."""

from __future__ import annotations

from datetime import date

import pytest

from api.reimbursements.feed import LineError, cents, checked_line
from tests.reimbursements.helpers import line

INS = "272117511204542"  # a valid INS (Nadia's)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("23,50", 2350), ("23.5", 2350), ("23", 2300), ("0,01", 1), (23.5, 2350), (0.1, 10)],
)
def test_euros_become_exact_cents(text, expected) -> None:
    assert cents(text, "charged") == expected


@pytest.mark.parametrize("text", ["", "-1", "1,234", "abc", "1e3", "99999999999", None, "12,3,4"])
def test_bad_amounts_are_refused(text) -> None:
    with pytest.raises(LineError):
        cents(text, "charged")


def test_a_valid_line() -> None:
    checked = checked_line(line(INS, care_date="12/03/2026", rate="70 %", confidential="oui"))
    assert checked.care_date == date(2026, 3, 12)
    assert checked.rate_percent == 70
    assert (checked.charged_cents, checked.reimbursed_cents, checked.out_of_pocket_cents) == (3000, 1900, 200)
    assert checked.hidden_from_representatives is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ins": "123"}, "not a valid INS"),
        ({"care_date": "2999-01-01"}, "not a past date"),
        ({"care_date": "31/02/2026"}, "not a date"),
        ({"category": "MAGIC"}, "category"),
        ({"rate": "101"}, "percentage"),
        ({"out_of_pocket": "3,00"}, "do not add up"),
        ({"paid_on": "2026-03-01"}, "before the care"),
        ({"act_code": "g!"}, "CCAM or NGAP"),
        ({"line_id": ""}, "line_id"),
        ({"rpps": "123"}, "RPPS"),
        ({"act_label": "  "}, "act_label"),
        ({"confidential": "maybe"}, "yes or no"),
    ],
)
def test_bad_lines_say_what_is_wrong(fields, message) -> None:
    with pytest.raises(LineError, match=message):
        checked_line(line(INS) | fields)
