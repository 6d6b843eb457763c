"""Identifiers of the generated dataset, drawn from one seeded generator so that
the same size gives the same dataset (runs compare): time-ordered UUIDs, and
national identifiers with valid keys, unique by construction (serials)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime

from api.directory.identifiers import ins_key, luhn_check_digit


class Ids:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def at(self, moment: datetime) -> uuid.UUID:
        """A UUID version 7 ordering by `moment`, like api.db.new_id(at=...), its random
        bits from the seeded generator."""
        unix_ms = int(moment.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
        bits = self._rng.getrandbits(74)
        rand_a, rand_b = bits >> 62, bits & ((1 << 62) - 1)
        return uuid.UUID(int=unix_ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


def ins(serial: int, birth_date: date, sex: str) -> str:
    """An INS (NIR form) unique per serial below 10**6: the commune and order
    number carry the serial, the department is 75 (Paris) for all."""
    nir = f"{2 if sex == 'F' else 1}{birth_date:%y%m}75{serial // 1000 % 1000:03d}{serial % 1000:03d}"
    return f"{nir}{ins_key(nir):02d}"


def rpps(serial: int) -> str:
    """11 digits with a Luhn key; the 18 prefix keeps them apart from the demo's and tests' (19, 10)."""
    payload = f"18{serial:08d}"
    return payload + str(luhn_check_digit(payload))


def finess(serial: int) -> str:
    """9 digits with a Luhn key, department 98 (none of the demo's)."""
    payload = f"98{serial:06d}"
    return payload + str(luhn_check_digit(payload))
