"""programmes.toml: every programme of DOMAIN.md, sourced, with codes the rest
of the system knows; broken files are refused with the programme and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.agenda.durations import Duration
from api.agenda.programmes import PROGRAMMES_FILE, ProgrammesError, load_programmes, programmes
from api.dossier.document_types import document_types
from api.profile.service import MEASUREMENTS
from tests.conftest import needs_plugin

DOMAIN_PROGRAMMES = {
    "colorectal-screening",
    "breast-screening",
    "cervical-screening-cytology",
    "cervical-screening-hpv",
    "adult-dtp-boosters",
    "influenza-vaccination",
    "covid19-vaccination",
    "pneumococcal-vaccination-65",
    "shingles-vaccination-65",
    "infant-dtcap-hib-hepb",
    "infant-pneumococcal",
    "infant-menb",
    "infant-menacwy",
    "infant-mmr",
    "child-compulsory-examinations",
    "child-dental-examination",
    "prevention-checkup-18-25",
    "prevention-checkup-45-50",
    "prevention-checkup-60-65",
    "prevention-checkup-70-75",
    "diabetes-hba1c",
    "diabetes-eye-exam",
    "diabetes-kidney-function",
    "diabetes-foot-exam",
}


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_the_file_holds_every_programme_each_with_a_source() -> None:
    catalogue = programmes()
    # The vaccination plugin's calendar adds more (children's boosters, HPV).
    assert set(catalogue.programmes) >= DOMAIN_PROGRAMMES
    for code, programme in catalogue.programmes.items():
        assert len(programme.source) > 30, code
        assert programme.kind in {"SCREENING", "VACCINATION", "CHECKUP"}


def test_codes_are_those_the_dossier_and_the_profile_use() -> None:
    known_types = set(document_types().types)
    for code, programme in programmes().programmes.items():
        for matcher in programme.done_by:
            if matcher.kind == "DOCUMENT":
                assert set(matcher.codes) <= known_types, code
            if matcher.kind == "MEASUREMENT":
                assert set(matcher.codes) <= set(MEASUREMENTS), code


def test_twenty_compulsory_examinations_from_birth_to_sixteen() -> None:
    ages = programmes().programmes["child-compulsory-examinations"].schedule.ages
    assert len(ages) == 20
    assert ages[0] == Duration(days=8)
    assert ages[-1] == Duration(years=15)
    assert Duration(months=1) not in ages  # removed on 1 January 2025
    assert Duration(years=7) in ages  # added on 1 January 2025


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_the_campaigns_open_on_15_october() -> None:
    campaigns = programmes().campaigns
    assert campaigns["influenza"].opens(2026).isoformat() == "2026-10-15"
    assert campaigns["influenza"].closes(2026).isoformat() == "2027-01-31"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "programmes.toml"
    path.write_text(text, encoding="utf-8")
    return path


VALID = """
version = "test"
[conditions.diabetes]
label = "diabète"
keywords = ["diabete"]
[programmes.colorectal-screening]
title = "Dépistage du cancer colorectal"
kind = "SCREENING"
source = "HAS, dépistage organisé tous les 2 ans"
eligible = [{ min_age = "50y", max_age = "74y" }]
schedule = { type = "recurring", every = "2y" }
done_by = [{ kind = "ACT", codes = ["X"] }]
"""


def test_a_minimal_valid_file_loads(tmp_path: Path) -> None:
    catalogue = load_programmes(_write(tmp_path, VALID))
    assert catalogue.programmes["colorectal-screening"].schedule.every == Duration(years=2)


def test_the_shipped_file_is_read_once() -> None:
    assert programmes() is programmes()
    assert programmes(PROGRAMMES_FILE).version == programmes().version


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('kind = "SCREENING"', 'kind = "SCREENING"\nfrequency = "often"'), "frequency"),
        (('every = "2y"', 'every = "-2y"'), "schedule.every"),
        (('every = "2y"', 'every = "0y"'), "every must be longer than zero"),
        (('every = "2y"', 'every = "two years"'), "schedule.every"),
        (('min_age = "50y"', 'min_age = "80y"'), "min_age is above max_age"),
        (('{ min_age = "50y"', '{ conditions = ["asthma"], min_age = "50y"'), "unknown ['asthma']"),
        (('source = "HAS, dépistage organisé tous les 2 ans"', 'source = ""'), "source"),
        (('kind = "ACT", codes = ["X"]', 'kind = "ACT"'), "a matcher needs codes or keywords"),
        (('kind = "ACT"', 'kind = "PRESCRIPTION"'), "done_by"),
    ],
)
def test_a_broken_file_is_refused_naming_the_programme_and_field(
    tmp_path: Path, change: tuple[str, str], named: str
) -> None:
    old, new = change
    assert old in VALID
    with pytest.raises(ProgrammesError) as refused:
        load_programmes(_write(tmp_path, VALID.replace(old, new, 1)))
    message = str(refused.value)
    assert "colorectal-screening" in message
    assert named in message


def test_a_bad_code_and_bad_toml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProgrammesError, match="Colorectal"):
        load_programmes(
            _write(tmp_path, VALID.replace("programmes.colorectal-screening", "programmes.Colorectal"))
        )
    with pytest.raises(ProgrammesError, match="not TOML"):
        load_programmes(_write(tmp_path, VALID + "\n[[["))
