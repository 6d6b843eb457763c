"""The calendar and the notes' reader, in isolation: no database, no clock."""

from __future__ import annotations

import json
from datetime import date

import pytest

from api.agenda.evidence import Condition, Person
from plugins.vaccination.calendar import Source, Vaccination, calendar, vaccination_status
from plugins.vaccination.immunizations import read_immunizations

BABY = date(2026, 1, 10)


def given(label: str, on: date, ref: str = "") -> Vaccination:
    return Vaccination(label, on, Source.PROFILE, ref or f"{label}@{on}")


def keys(items) -> list[tuple[str, date]]:
    return [(item.key, item.due_date) for item in items]


def test_an_infant_of_3_months_without_vaccination_is_due_its_2_month_doses() -> None:
    status = vaccination_status(Person(BABY, "F"), [], date(2026, 4, 10))
    due = dict(keys(status.due))
    # Due on 10 March: a month past, not yet late (late: more than a month).
    assert due["infant-dtcap-hib-hepb@2m"] == date(2026, 3, 10)
    assert due["infant-pneumococcal@2m"] == date(2026, 3, 10)
    assert due["infant-menb@3m"] == date(2026, 4, 10)
    assert status.late == ()
    assert status.calendar_version == calendar().version == "2025"


def test_an_infant_of_3_months_and_a_week_is_late_for_its_2_month_doses() -> None:
    status = vaccination_status(Person(BABY, "F"), [], date(2026, 4, 17))
    assert ("infant-dtcap-hib-hepb@2m", date(2026, 3, 10)) in keys(status.late)
    assert "infant-dtcap-hib-hepb@2m" not in dict(keys(status.due))
    assert all("Vaccin" in item.title for item in status.late)
    assert all(item.reason for item in status.late)


def test_a_dose_given_at_2_months_moves_the_series_to_4_months() -> None:
    dose = given("Hexyon (DTCaP-Hib-HépB)", date(2026, 3, 12), "entry-1")
    status = vaccination_status(Person(BABY, "M"), [dose], date(2026, 4, 17))
    assert ("infant-dtcap-hib-hepb@2m", date(2026, 3, 10)) not in keys(status.late)
    assert ("infant-dtcap-hib-hepb@4m", date(2026, 5, 10)) in keys(status.due)  # upcoming within 30 days
    assert [(item.vaccination.ref, item.programmes) for item in status.done] == [
        ("entry-1", ("infant-dtcap-hib-hepb",))
    ]


def test_an_adult_of_66_in_the_autumn_campaign() -> None:
    person = Person(date(1960, 3, 1), "M")
    status = vaccination_status(person, [], date(2026, 11, 29))
    due = {item.programme for item in status.due}
    late = {item.programme for item in status.late}
    # Influenza and Covid-19 are due for the whole campaign, never late.
    assert {"influenza-vaccination", "covid19-vaccination"} <= due
    assert not late & {"influenza-vaccination", "covid19-vaccination"}
    # Pneumococcal and shingles from 65 (1 March 2025): long past, so late.
    assert {"pneumococcal-vaccination-65", "shingles-vaccination-65"} <= late
    assert ("adult-dtp-boosters@65y", date(2025, 3, 1)) in keys(status.late)


def test_an_adult_of_66_vaccinated_this_autumn() -> None:
    person = Person(date(1960, 3, 1), "M")
    shots = [
        given("Vaxigrip (grippe)", date(2026, 10, 20)),
        given("Prevenar 20", date(2025, 4, 1)),
        given("Shingrix 1re dose", date(2025, 4, 1)),
        given("Shingrix 2e dose", date(2025, 6, 3)),
        given("Repevax", date(2025, 2, 1)),  # within a year before 65: counts for 65
    ]
    status = vaccination_status(person, shots, date(2026, 11, 29))
    open_codes = {item.programme for item in (*status.due, *status.late)}
    assert open_codes == {"covid19-vaccination"}
    assert [item.vaccination.given_on for item in status.done] == sorted(
        (shot.given_on for shot in shots), reverse=True
    )


def test_boosters_at_25_45_and_65_then_every_ten_years() -> None:
    def booster_due(birth: date, today: date) -> list[tuple[str, date]]:
        status = vaccination_status(Person(birth, "F"), [], today)
        return [k for k in keys((*status.due, *status.late)) if k[0].startswith("adult-dtp-boosters")]

    # Just after each birthday: the booster of that age is due (a missed earlier one lapses).

    assert booster_due(date(2001, 12, 1), date(2026, 12, 5)) == [
        ("adult-dtp-boosters@25y", date(2026, 12, 1))
    ]
    assert booster_due(date(1981, 12, 1), date(2026, 12, 5)) == [
        ("adult-dtp-boosters@45y", date(2026, 12, 1))
    ]
    assert booster_due(date(1961, 12, 1), date(2026, 12, 5)) == [
        ("adult-dtp-boosters@65y", date(2026, 12, 1))
    ]
    assert booster_due(date(1951, 12, 1), date(2026, 12, 5)) == [
        ("adult-dtp-boosters@75y", date(2026, 12, 1))
    ]


def test_influenza_before_65_only_for_a_chronic_condition() -> None:
    healthy = vaccination_status(Person(date(1980, 5, 1), "F"), [], date(2026, 11, 1))
    asthma = vaccination_status(Person(date(1980, 5, 1), "F", (Condition("Asthme"),)), [], date(2026, 11, 1))
    assert "influenza-vaccination" not in {item.programme for item in healthy.due}
    flu = next(item for item in asthma.due if item.programme == "influenza-vaccination")
    assert "maladie chronique" in flu.reason


def test_a_vaccination_no_programme_knows_is_still_done() -> None:
    status = vaccination_status(
        Person(date(1980, 5, 1), "F"), [given("Fièvre jaune (Stamaril)", date(2024, 6, 1))], date(2026, 11, 1)
    )
    assert [(item.vaccination.label, item.programmes) for item in status.done] == [
        ("Fièvre jaune (Stamaril)", ())
    ]


FHIR_BUNDLE = {
    "resourceType": "Bundle",
    "entry": [
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {
                    "coding": [
                        {"system": "http://snomed.info/sct", "code": "871878002", "display": "Hexyon"}
                    ],
                    "text": "DTCaP-Hib-HépB (Hexyon)",
                },
                "occurrenceDateTime": "2026-03-12T09:30:00+01:00",
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {
                    "coding": [
                        {"system": "http://www.whocc.no/atc", "code": "J07AL02", "display": "Prevenar 13"}
                    ]
                },
                "occurrenceDateTime": "2026-03-12",
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "status": "not-done",
                "vaccineCode": {"text": "ROR"},
                "occurrenceDateTime": "2026-03-12",
            }
        },
        {"resource": {"resourceType": "Patient"}},
        {"resource": {"resourceType": "Immunization", "vaccineCode": {"text": "sans date"}}},
    ],
}

CDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section>
<entry><substanceAdministration classCode="SBADM" moodCode="EVN">
  <effectiveTime value="20260512"/>
  <consumable><manufacturedProduct><manufacturedMaterial>
    <code code="3400936010427" codeSystem="1.2.250.1.213.2.3.1" displayName="INFANRIX HEXA"/>
  </manufacturedMaterial></manufacturedProduct></consumable>
</substanceAdministration></entry>
<entry><substanceAdministration negationInd="true"><effectiveTime value="20260512"/>
  <consumable><manufacturedProduct><manufacturedMaterial><name>ROR</name></manufacturedMaterial></manufacturedProduct></consumable>
</substanceAdministration></entry>
</section></component></structuredBody></component></ClinicalDocument>"""


def test_fhir_immunizations_are_read_with_their_codes_and_days() -> None:
    found = read_immunizations(json.dumps(FHIR_BUNDLE).encode())
    assert [(item.label, item.given_on, item.code, item.system) for item in found] == [
        ("DTCaP-Hib-HépB (Hexyon)", date(2026, 3, 12), "871878002", "SNOMED"),
        ("Prevenar 13", date(2026, 3, 12), "J07AL02", "ATC"),
    ]


def test_cda_immunization_entries_are_read() -> None:
    found = read_immunizations(CDA)
    assert [(item.label, item.given_on, item.code, item.system) for item in found] == [
        ("INFANRIX HEXA", date(2026, 5, 12), "3400936010427", "CIS")
    ]


def test_malformed_notes_give_nothing() -> None:
    for content in (
        b"",
        b"not a note",
        b"{not json",
        b'{"resourceType": "Immunization", "occurrenceDateTime": "2026-13-45", "vaccineCode": {"text": "x"}}',
        b'["a list"]',
        b"<unclosed",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><substanceAdministration><effectiveTime/>'
        b"<consumable><manufacturedProduct><manufacturedMaterial><name>ROR</name></manufacturedMaterial>"
        b"</manufacturedProduct></consumable></substanceAdministration></ClinicalDocument>",
    ):
        assert read_immunizations(content) == [], content


def _entity_note(encoding: str) -> bytes:
    """A CDA note whose vaccine name is an internal entity, in UTF-16 without a byte
    order mark: no `<!ENTITY` in its bytes for a byte scan to see."""
    return (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "Vaxigrip">]>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><substanceAdministration>'
        '<effectiveTime value="20251020"/><consumable><manufacturedProduct><manufacturedMaterial>'
        "<name>&a;</name></manufacturedMaterial></manufacturedProduct></consumable>"
        "</substanceAdministration></ClinicalDocument>"
    ).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_entities_are_refused_in_utf16_too(encoding: str) -> None:
    assert read_immunizations(_entity_note(encoding)) == []
