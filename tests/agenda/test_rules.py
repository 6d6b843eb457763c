"""The prevention rules at their edges: ages, sexes, conditions, intervals,
campaigns, infant series, and the demo persona Nadia."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.agenda.durations import Duration, add_months, age_in_french, whole_months
from api.agenda.evidence import Condition, Evidence, EvidenceKind, Person
from api.agenda.rules import Proposal, ProposalStatus, evaluate
from api.demo.profile import ENTRIES, MEASUREMENTS
from api.profile.models import EntryKind
from api.timezones import PARIS
from tests.conftest import needs_plugin

DUE, UPCOMING, DONE = ProposalStatus.DUE, ProposalStatus.UPCOMING, ProposalStatus.DONE
DIABETES = Condition("Diabète de type 2", since=date(2019, 3, 1))


def of(proposals: list[Proposal], code: str) -> list[tuple[str, ProposalStatus, date]]:
    return [(p.key, p.status, p.due_date) for p in proposals if p.rule_code == code]


def open_items(proposals: list[Proposal], code: str) -> list[Proposal]:
    return [p for p in proposals if p.rule_code == code and p.status is not DONE]


def lab(day: date, title: str) -> Evidence:
    return Evidence(EvidenceKind.DOCUMENT, day, "11502-2", title)


def vaccination(day: date, label: str) -> Evidence:
    return Evidence(EvidenceKind.VACCINATION, day, label=label)


def hba1c(day: date) -> Evidence:
    return Evidence(EvidenceKind.MEASUREMENT, day, "HBA1C")


# ------------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        # the day before the 50th birthday: coming, due on the birthday
        (date(1976, 11, 29), date(2026, 11, 28), [("colorectal-screening", UPCOMING, date(2026, 11, 29))]),
        # the 50th birthday
        (date(1976, 11, 29), date(2026, 11, 29), [("colorectal-screening", DUE, date(2026, 11, 29))]),
        # too far from 50 for the window
        (date(1977, 1, 15), date(2026, 11, 29), []),
        # 74, the last eligible age: still due (since the 50th birthday)
        (date(1951, 6, 15), date(2026, 6, 14), [("colorectal-screening", DUE, date(2001, 6, 15))]),
        # 75: out of the programme
        (date(1951, 6, 15), date(2026, 6, 15), []),
    ],
)
def test_colorectal_screening_from_50_to_74(
    birth: date, today: date, expected: list[tuple[str, str, date]]
) -> None:
    assert of(evaluate(Person(birth, "M"), [], today), "colorectal-screening") == expected


def test_the_upcoming_window_decides_what_is_coming() -> None:
    person = Person(date(1976, 11, 29), "F")
    assert (
        of(evaluate(person, [], date(2026, 11, 28), upcoming_window=timedelta(0)), "colorectal-screening")
        == []
    )
    assert of(
        evaluate(person, [], date(2026, 10, 1), upcoming_window=timedelta(days=60)), "colorectal-screening"
    ) == [("colorectal-screening", UPCOMING, date(2026, 11, 29))]


@pytest.mark.parametrize(("sex", "proposed"), [("F", True), ("M", False), (None, False)])
def test_mammography_for_women_only(sex: str | None, proposed: bool) -> None:
    proposals = evaluate(Person(date(1966, 3, 3), sex), [], date(2026, 11, 29))  # type: ignore[arg-type]
    assert bool(of(proposals, "breast-screening")) is proposed
    assert bool(of(proposals, "cervical-screening-hpv")) is proposed  # 60, women 30 to 65
    assert of(proposals, "colorectal-screening")  # everyone


def test_a_birthday_on_29_february_is_reached_on_28_february_in_common_years() -> None:
    person = Person(date(1976, 2, 29), "M")
    assert of(
        evaluate(person, [], date(2026, 2, 27), upcoming_window=timedelta(days=1)), "colorectal-screening"
    ) == [("colorectal-screening", UPCOMING, date(2026, 2, 28))]
    assert of(evaluate(person, [], date(2026, 2, 28)), "colorectal-screening") == [
        ("colorectal-screening", DUE, date(2026, 2, 28))
    ]
    assert age_in_french(date(1976, 2, 29), date(2026, 2, 28)) == "50 ans"
    assert age_in_french(date(1976, 2, 29), date(2026, 2, 27)) == "49 ans"
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert whole_months(date(2026, 1, 31), date(2026, 2, 28)) == 1


def test_durations_are_whole_units_and_refuse_signs() -> None:
    assert Duration.parse("65y2m") == Duration(years=65, months=2)
    assert Duration.parse("2w").after(date(2026, 1, 1)) == date(2026, 1, 15)
    assert Duration(years=74).end_of_age(date(1952, 6, 15)) == date(2027, 6, 15)
    assert Duration(months=23).end_of_age(date(2026, 1, 10)) == date(2028, 1, 10)
    for text in ("-2y", "2", "y", "2x", ""):
        with pytest.raises(ValueError, match="not a duration"):
            Duration.parse(text)


# ------------------------------------------------------------- conditions

DIABETES_FOLLOW_UP = ("diabetes-hba1c", "diabetes-eye-exam", "diabetes-kidney-function", "diabetes-foot-exam")


@needs_plugin("vaccination")  # its calendar holds the vaccinations
@pytest.mark.parametrize(
    ("conditions", "diabetic"),
    [
        ((DIABETES,), True),
        ((Condition("Maladie métabolique", code="E11.9"),), True),  # by ICD-10 code
        ((Condition("DT2"),), True),
        ((Condition("Prédiabète"),), False),  # a keyword starts a word
        ((Condition("Hypertension artérielle"),), False),
        ((), False),
    ],
)
def test_diabetes_follow_up_and_influenza_for_a_diabetic_only(
    conditions: tuple[Condition, ...], diabetic: bool
) -> None:
    proposals = evaluate(Person(date(1980, 5, 5), "M", conditions), [], date(2026, 11, 29))
    for code in DIABETES_FOLLOW_UP:
        assert bool(of(proposals, code)) is diabetic, code
    assert bool(of(proposals, "influenza-vaccination")) is diabetic  # 46: only for a chronic condition
    if diabetic:
        reason = open_items(proposals, "diabetes-hba1c")[0].reason
        assert "diabète dans votre profil" in reason
        flu = open_items(proposals, "influenza-vaccination")[0].reason
        assert "diabète (maladie chronique) dans votre profil" in flu


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_influenza_for_another_chronic_condition_and_from_65() -> None:
    asthma = evaluate(
        Person(date(1990, 1, 1), "F", (Condition("Asthme persistant"),)), [], date(2026, 11, 29)
    )
    assert of(asthma, "influenza-vaccination") == [("influenza-vaccination@2026", DUE, date(2026, 10, 15))]
    flu = open_items(asthma, "influenza-vaccination")[0]
    assert "maladie chronique dans votre profil (« Asthme persistant »)" in flu.reason
    senior = evaluate(Person(date(1958, 2, 1), "M"), [], date(2026, 11, 29))
    assert of(senior, "influenza-vaccination") == [("influenza-vaccination@2026", DUE, date(2026, 10, 15))]
    assert "65 ans ou plus" in open_items(senior, "influenza-vaccination")[0].reason


def test_an_undated_diabetes_keeps_a_stable_key() -> None:
    person = Person(date(1980, 5, 5), "M", (Condition("Diabète"),))
    first = open_items(evaluate(person, [], date(2026, 11, 29)), "diabetes-hba1c")
    second = open_items(evaluate(person, [], date(2026, 11, 30)), "diabetes-hba1c")
    assert (
        [(p.key, p.status) for p in first] == [(p.key, p.status) for p in second] == [("diabetes-hba1c", DUE)]
    )
    # with a first HbA1c found, the chain starts there
    proposals = evaluate(person, [hba1c(date(2026, 9, 29))], date(2026, 11, 29))
    assert of(proposals, "diabetes-hba1c") == [
        ("diabetes-hba1c", DONE, date(2026, 9, 29)),
        ("diabetes-hba1c@2026-09-29", UPCOMING, date(2026, 12, 29)),
    ]


# -------------------------------------------------------------- intervals

TODAY = date(2026, 11, 29)
SIXTY = Person(date(1966, 3, 3), "M")


@pytest.mark.parametrize(
    ("done_on", "expected"),
    [
        # 23 months ago: done, the next one is only coming
        (
            date(2024, 12, 29),
            [
                ("colorectal-screening", DONE, date(2016, 3, 3)),
                ("colorectal-screening@2024-12-29", UPCOMING, date(2026, 12, 29)),
            ],
        ),
        # 25 months ago: due again
        (
            date(2024, 10, 29),
            [
                ("colorectal-screening", DONE, date(2016, 3, 3)),
                ("colorectal-screening@2024-10-29", DUE, date(2026, 10, 29)),
            ],
        ),
    ],
)
def test_colorectal_screening_every_two_years(done_on: date, expected: list[tuple[str, str, date]]) -> None:
    proposals = evaluate(SIXTY, [lab(done_on, "Test immunologique de dépistage du cancer colorectal")], TODAY)
    assert of(proposals, "colorectal-screening") == expected
    done = next(p for p in proposals if p.rule_code == "colorectal-screening" and p.status is DONE)
    assert done.evidence is not None
    assert done.evidence.on == done_on
    assert done.next_due == add_months(done_on, 24)


def test_the_next_due_date_is_dropped_past_the_last_eligible_age() -> None:
    person = Person(date(1951, 6, 15), "M")  # 74 until 15 June 2026
    proposals = evaluate(person, [lab(date(2025, 9, 1), "Sang occulte dans les selles")], date(2026, 6, 1))
    done = [p for p in proposals if p.rule_code == "colorectal-screening"]
    assert [(p.status, p.next_due) for p in done] == [(DONE, None)]  # 2027-09-01 is past 75


@pytest.mark.parametrize(
    ("months_ago", "expected_open"),
    [
        (2, [("diabetes-hba1c@2026-09-29", UPCOMING, date(2026, 12, 29))]),
        (4, [("diabetes-hba1c@2026-07-29", DUE, date(2026, 10, 29))]),
    ],
)
def test_hba1c_every_three_months(months_ago: int, expected_open: list[tuple[str, str, date]]) -> None:
    person = Person(date(1980, 5, 5), "F", (DIABETES,))
    done_on = add_months(TODAY, -months_ago)
    proposals = evaluate(person, [hba1c(done_on)], TODAY)
    assert [(p.key, p.status, p.due_date) for p in open_items(proposals, "diabetes-hba1c")] == expected_open
    done = [p for p in proposals if p.rule_code == "diabetes-hba1c" and p.status is DONE]
    assert [(p.key, p.next_due) for p in done] == [("diabetes-hba1c", add_months(done_on, 3))]


def test_hba1c_from_a_lab_report_title_but_not_from_an_unrelated_one() -> None:
    person = Person(date(1980, 5, 5), "F", (DIABETES,))
    found = evaluate(person, [lab(date(2026, 10, 1), "Hémoglobine glyquée (HbA1c)")], TODAY)
    assert [
        p.status for p in open_items(found, "diabetes-hba1c")
    ] == []  # next due 2027-01-01, beyond 30 days
    unrelated = evaluate(person, [lab(date(2026, 10, 1), "Numération formule sanguine")], TODAY)
    assert [p.status for p in open_items(unrelated, "diabetes-hba1c")] == [DUE]


def test_cervical_cytology_two_a_year_apart_then_every_three_years() -> None:
    woman = Person(date(2000, 1, 10), "F")
    first = evaluate(woman, [Evidence(EvidenceKind.DOCUMENT, date(2025, 2, 1), "11526-1", "Frottis")], TODAY)
    assert [p.due_date for p in open_items(first, "cervical-screening-cytology")] == [date(2026, 2, 1)]
    both = [
        Evidence(EvidenceKind.DOCUMENT, date(2025, 2, 1), "11526-1", "Frottis cervico-utérin"),
        Evidence(EvidenceKind.DOCUMENT, date(2026, 2, 3), "11526-1", "Frottis cervico-utérin"),
    ]
    second = evaluate(woman, both, TODAY)
    done = [p for p in second if p.rule_code == "cervical-screening-cytology"]
    assert [(p.key, p.status, p.next_due) for p in done] == [
        ("cervical-screening-cytology@2025-02-01", DONE, date(2029, 2, 3)),
    ]


def test_a_patients_mark_counts_as_done() -> None:
    mark = Evidence(EvidenceKind.MARKED_DONE, date(2026, 5, 2), "colorectal-screening")
    proposals = evaluate(SIXTY, [mark], TODAY)
    assert [(p.status, p.evidence) for p in proposals if p.rule_code == "colorectal-screening"] == [
        (DONE, mark)
    ]
    other = Evidence(EvidenceKind.MARKED_DONE, date(2026, 5, 2), "breast-screening")
    assert [p.status for p in open_items(evaluate(SIXTY, [other], TODAY), "colorectal-screening")] == [DUE]


# -------------------------------------------------------------- campaigns

SENIOR = Person(date(1955, 4, 4), "F")


@needs_plugin("vaccination")  # its calendar holds the vaccinations
@pytest.mark.parametrize(
    ("today", "evidence", "expected"),
    [
        (date(2026, 10, 14), [], [("influenza-vaccination@2026", UPCOMING, date(2026, 10, 15))]),
        (date(2026, 10, 15), [], [("influenza-vaccination@2026", DUE, date(2026, 10, 15))]),
        (
            date(2026, 11, 29),
            [vaccination(date(2026, 10, 20), "VAXIGRIP TETRA")],
            [("influenza-vaccination@2026", DONE, date(2026, 10, 15))],
        ),
        # before the campaign opened: last season's, not this one
        (
            date(2026, 11, 29),
            [vaccination(date(2026, 10, 1), "Vaccin antigrippal")],
            [("influenza-vaccination@2026", DUE, date(2026, 10, 15))],
        ),
        # the campaign is over; the next one is not yet within the window
        (date(2027, 3, 1), [], []),
        (
            date(2027, 3, 1),
            [vaccination(date(2026, 12, 1), "Grippe saisonnière")],
            [("influenza-vaccination@2026", DONE, date(2026, 10, 15))],
        ),
    ],
)
def test_influenza_every_autumn_from_15_october(
    today: date, evidence: list[Evidence], expected: list[tuple[str, str, date]]
) -> None:
    proposals = evaluate(SENIOR, evidence, today)
    assert of(proposals, "influenza-vaccination") == expected
    done = [p for p in proposals if p.rule_code == "influenza-vaccination" and p.status is DONE]
    assert all(p.next_due == date(2027, 10, 15) for p in done)


@needs_plugin("vaccination")  # its calendar holds the vaccinations
@pytest.mark.parametrize(
    "label", ["GRIPPE saisonnière", "vaccin anti-grippe", "Influenza", "Vaccination antigrippale"]
)
def test_vaccination_labels_match_without_case_or_accents(label: str) -> None:
    proposals = evaluate(SENIOR, [vaccination(date(2026, 10, 16), label)], date(2026, 11, 1))
    assert [p.status for p in proposals if p.rule_code == "influenza-vaccination"] == [DONE]


# ------------------------------------------------------------------ children

BABY = date(2026, 1, 10)


@needs_plugin("vaccination")  # its calendar holds the vaccinations
@pytest.mark.parametrize(
    ("today", "doses", "expected"),
    [
        # 1 month: the first dose is coming
        (date(2026, 2, 10), [], [("infant-dtcap-hib-hepb@2m", UPCOMING, date(2026, 3, 10))]),
        # 2 months: due
        (date(2026, 3, 10), [], [("infant-dtcap-hib-hepb@2m", DUE, date(2026, 3, 10))]),
        # 11 months, two doses given: the booster is due
        (
            date(2026, 12, 10),
            [date(2026, 3, 12), date(2026, 5, 11)],
            [
                ("infant-dtcap-hib-hepb@2m", DONE, date(2026, 3, 10)),
                ("infant-dtcap-hib-hepb@4m", DONE, date(2026, 5, 10)),
                ("infant-dtcap-hib-hepb@11m", DUE, date(2026, 12, 10)),
            ],
        ),
        # 11 months, none given: catch up from the first dose, not three at once
        (date(2026, 12, 10), [], [("infant-dtcap-hib-hepb@2m", DUE, date(2026, 3, 10))]),
        # a late first dose: the second waits at least a month after it
        (
            date(2026, 5, 12),
            [date(2026, 4, 28)],
            [
                ("infant-dtcap-hib-hepb@2m", DONE, date(2026, 3, 10)),
                ("infant-dtcap-hib-hepb@4m", UPCOMING, date(2026, 5, 28)),
            ],
        ),
    ],
)
def test_infant_hexavalent_at_2_4_and_11_months(
    today: date, doses: list[date], expected: list[tuple[str, str, date]]
) -> None:
    evidence = [vaccination(day, "DTCaP-Hib-HépB (hexavalent)") for day in doses]
    assert of(evaluate(Person(BABY, "F"), evidence, today), "infant-dtcap-hib-hepb") == expected


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_an_infant_at_two_months_is_due_its_vaccines_and_examination() -> None:
    proposals = evaluate(Person(BABY, "M"), [], date(2026, 3, 10))
    assert of(proposals, "infant-pneumococcal") == [("infant-pneumococcal@2m", DUE, date(2026, 3, 10))]
    assert of(proposals, "infant-menb") == []  # 3 months is 31 days away
    assert of(evaluate(Person(BABY, "M"), [], date(2026, 3, 15)), "infant-menb") == [
        ("infant-menb@3m", UPCOMING, date(2026, 4, 10))
    ]
    assert of(proposals, "infant-menacwy") == []  # 6 months: not within 30 days
    assert of(proposals, "child-compulsory-examinations") == [
        ("child-compulsory-examinations@2m", DUE, date(2026, 3, 10))
    ]
    assert of(proposals, "colorectal-screening") == []


def test_a_compulsory_examination_marked_done_by_its_key() -> None:
    mark = Evidence(EvidenceKind.MARKED_DONE, date(2026, 10, 20), "child-compulsory-examinations@9m")
    proposals = evaluate(Person(BABY, "F"), [mark], date(2026, 10, 20))
    assert of(proposals, "child-compulsory-examinations") == [
        ("child-compulsory-examinations@9m", DONE, date(2026, 10, 10)),
    ]


def test_dental_examinations_every_three_years_from_3_to_24() -> None:
    child = Person(date(2020, 6, 1), "M")
    assert of(evaluate(child, [], date(2026, 6, 1)), "child-dental-examination") == [
        ("child-dental-examination@6y", DUE, date(2026, 6, 1))
    ]
    # a year after the birthday the M'T dents examination lapses
    assert of(evaluate(child, [], date(2027, 6, 1)), "child-dental-examination") == []
    done = evaluate(child, [Evidence(EvidenceKind.ACT, date(2026, 7, 1), "BDC")], date(2026, 8, 1))
    assert [(p.key, p.status, p.next_due) for p in done if p.rule_code == "child-dental-examination"] == [
        ("child-dental-examination@6y", DONE, date(2029, 6, 1))
    ]


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_adult_boosters_at_25_45_65_then_every_ten_years() -> None:
    person = Person(date(1981, 3, 1), "M")  # 45
    assert of(evaluate(person, [], date(2026, 11, 29)), "adult-dtp-boosters") == [
        ("adult-dtp-boosters@45y", DUE, date(2026, 3, 1))
    ]
    early = [vaccination(date(2025, 9, 1), "Repevax")]  # up to a year before counts
    assert [
        p.status for p in evaluate(person, early, date(2026, 11, 29)) if p.rule_code == "adult-dtp-boosters"
    ] == [DONE]
    eighty = Person(date(1946, 12, 1), "F")
    assert of(evaluate(eighty, [], date(2026, 11, 29)), "adult-dtp-boosters") == [
        ("adult-dtp-boosters@75y", DUE, date(2021, 12, 1))
    ]


# ------------------------------------------------------------------ Nadia


def _nadia() -> tuple[Person, list[Evidence]]:
    """Nadia as the demo enters her (api/demo/profile.py), as the persistence layer would read her."""
    conditions = tuple(
        Condition(entry.label, since=entry.occurred_on)
        for entry in ENTRIES
        if entry.patient == "nadia" and entry.kind is EntryKind.CONDITION
    )
    evidence = [
        Evidence(EvidenceKind.VACCINATION, entry.occurred_on, label=entry.label)
        for entry in ENTRIES
        if entry.patient == "nadia" and entry.kind is EntryKind.VACCINATION and entry.occurred_on
    ]
    evidence += [
        Evidence(EvidenceKind.MEASUREMENT, m.measured_at.astimezone(PARIS).date(), m.kind)
        for m in MEASUREMENTS
        if m.patient == "nadia"
    ]
    # her GP's report names the eye and kidney checks to come: that is not doing them
    evidence.append(
        Evidence(
            EvidenceKind.DOCUMENT,
            date(2026, 9, 10),
            "11488-4",
            "Compte rendu de consultation - suivi du diabète",
        )
    )
    return Person(date(1972, 11, 8), "F", conditions), evidence


@needs_plugin("vaccination")  # its calendar holds the vaccinations
def test_nadia_54_diabetic_gets_her_screenings_vaccinations_and_follow_up() -> None:
    person, evidence = _nadia()
    proposals = evaluate(person, evidence, date(2026, 11, 29))
    table = {(p.key, p.status, p.due_date) for p in proposals}
    assert {
        ("colorectal-screening", DUE, date(2022, 11, 8)),
        ("breast-screening", DUE, date(2022, 11, 8)),
        ("influenza-vaccination@2026", DUE, date(2026, 10, 15)),  # last season's does not count
        ("diabetes-hba1c@2026-06-11", DONE, date(2026, 9, 11)),
        ("diabetes-hba1c@2026-09-10", UPCOMING, date(2026, 12, 10)),
        ("diabetes-eye-exam", DUE, date(2019, 3, 1)),
        ("diabetes-kidney-function", DUE, date(2019, 3, 1)),
        ("diabetes-foot-exam", DUE, date(2019, 3, 1)),
    } <= table
    hba1c_done = next(p for p in proposals if p.key == "diabetes-hba1c@2026-06-11")
    assert hba1c_done.evidence is not None
    assert hba1c_done.evidence.on == date(2026, 9, 10)
    assert hba1c_done.next_due == date(2026, 12, 10)
    codes = {p.rule_code for p in proposals}
    assert not codes & {"shingles-vaccination-65", "pneumococcal-vaccination-65", "prevention-checkup-45-50"}
    reasons = {p.rule_code: p.reason for p in proposals if p.status is not DONE}
    assert "âge : 54 ans (de 50 à 74 ans)" in reasons["colorectal-screening"]
    assert "femme" in reasons["breast-screening"]
    assert "diabète dans votre profil (« Diabète de type 2 »)" in reasons["diabetes-eye-exam"]
    assert "maladie chronique" in reasons["influenza-vaccination"]
    assert all(p.source for p in proposals)
    assert {p.kind for p in proposals} <= {"SCREENING", "VACCINATION", "CHECKUP"}


def test_evaluation_is_deterministic_with_unique_keys() -> None:
    person, evidence = _nadia()
    first = evaluate(person, evidence, date(2026, 11, 29))
    for reordered in (evidence[::-1], evidence[3:] + evidence[:3]):
        assert evaluate(person, reordered, date(2026, 11, 29)) == first
    keys = [p.key for p in first]
    assert len(keys) == len(set(keys))
    assert [(p.due_date, p.key) for p in first] == sorted((p.due_date, p.key) for p in first)


def test_evidence_after_today_or_before_birth_is_ignored() -> None:
    future = lab(date(2027, 1, 1), "Test immunologique")
    proposals = evaluate(SIXTY, [future], TODAY)
    assert [p.status for p in proposals if p.rule_code == "colorectal-screening"] == [DUE]
