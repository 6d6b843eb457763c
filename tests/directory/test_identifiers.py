"""National identifiers and their check keys."""

from __future__ import annotations

import pytest

from api.directory.identifiers import ins_key, is_valid_finess, is_valid_ins, is_valid_rpps


def test_ins_key_is_97_minus_the_nir_mod_97() -> None:
    nir = "2720675112045"
    assert ins_key(nir) == 97 - int(nir) % 97


def test_corsican_departments_count_as_19_and_18() -> None:
    assert ins_key("185022A004012") == 97 - int("1850219004012") % 97
    assert ins_key("185022B004012") == 97 - int("1850218004012") % 97


@pytest.mark.parametrize("bad", ["", "123", "272067511204500", "27206751120450x", "972067511204512"])
def test_invalid_ins_are_refused(bad: str) -> None:
    assert not is_valid_ins(bad)


def test_a_valid_ins_passes() -> None:
    nir = "2720675112045"
    assert is_valid_ins(f"{nir}{ins_key(nir):02d}")


def test_rpps_and_finess_check_digits() -> None:
    assert is_valid_rpps("10001352466")
    assert not is_valid_rpps("10001352467")
    assert not is_valid_rpps("1000135246")
    assert is_valid_finess("750041287")
    assert not is_valid_finess("750041288")
    assert not is_valid_finess("75004128a")
