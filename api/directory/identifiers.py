"""The national identifiers and their check keys.

- INS (identifiant national de santé, NIR form): 13 characters then a 2-digit
  key, 97 - (NIR mod 97); Corsica's 2A and 2B count as 19 and 18.
- RPPS: 11 digits, the last a Luhn check digit.
- FINESS: 9 digits, the last a Luhn check digit.
"""

from __future__ import annotations

import re

_INS = re.compile(r"^[12378]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{6}\d{2}$")


def ins_key(nir13: str) -> int:
    digits = nir13.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(digits) % 97


def is_valid_ins(value: str) -> bool:
    if not _INS.match(value.upper()):
        return False
    return ins_key(value[:13]) == int(value[13:])


def luhn_check_digit(payload: str) -> int:
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def _is_luhn(value: str, length: int) -> bool:
    return len(value) == length and value.isdigit() and luhn_check_digit(value[:-1]) == int(value[-1])


def is_valid_rpps(value: str) -> bool:
    return _is_luhn(value, 11)


def is_valid_finess(value: str) -> bool:
    return _is_luhn(value, 9)
