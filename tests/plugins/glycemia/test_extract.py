"""Reading HbA1c out of FHIR and CDA lab results, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from plugins.glycemia.extract import CDA_MIME, FHIR_MIME, Reading, UnreadableContent, percent, readings
from tests.plugins.glycemia.samples import cda, fhir, observation


def test_a_cda_lab_report_gives_its_hba1c_with_the_day() -> None:
    content = cda(("7.4", "%", "20260915083000+0200"), ("6,9", "%", "20260610"))
    assert readings(content, CDA_MIME) == [Reading(7.4, date(2026, 9, 15)), Reading(6.9, date(2026, 6, 10))]


def test_other_observations_and_values_that_are_not_quantities_are_left_out() -> None:
    assert readings(cda(("1.32", "g/L", "20260915"), code="2339-0"), CDA_MIME) == []
    assert readings(cda(("7.4", "g/L", "20260915")), CDA_MIME) == []  # not HbA1c's unit
    assert readings(cda(("74", "%", "20260915")), CDA_MIME) == []  # implausible
    assert readings(cda(("seven", "%", "20260915")), CDA_MIME) == []


def test_an_observation_without_a_date_is_dated_by_the_caller() -> None:
    assert readings(cda(("7.1", "%", None)), CDA_MIME) == [Reading(7.1, None)]


def test_ifcc_values_are_converted_to_percent() -> None:
    assert percent(53, "mmol/mol") == 7.0
    assert readings(fhir(observation(53, "mmol/mol")), FHIR_MIME) == [Reading(7.0, date(2026, 9, 15))]


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        b'<ClinicalDocument xmlns="urn:hl7-org:v3">&lol;</ClinicalDocument>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x SYSTEM "http://example.org/x.dtd">'
        '<ClinicalDocument xmlns="urn:hl7-org:v3"/>'.encode("utf-16"),
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><unclosed></ClinicalDocument>',
        *(
            # An internal entity in UTF-16 without a byte order mark: no `<!ENTITY` bytes to see.
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY v "7.4">]>'
            '<ClinicalDocument xmlns="urn:hl7-org:v3">&v;</ClinicalDocument>'.encode(encoding)
            for encoding in ("utf-16-le", "utf-16-be")
        ),
    ],
)
def test_dtds_entities_and_broken_xml_are_refused(content: bytes) -> None:
    with pytest.raises(UnreadableContent):
        readings(content, CDA_MIME)


def test_a_fhir_observation_and_a_bundle() -> None:
    assert readings(fhir(observation(7.2)), FHIR_MIME) == [Reading(7.2, date(2026, 9, 15))]
    withdrawn = observation(9.0) | {"status": "entered-in-error"}
    glucose = observation(7.0) | {"code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]}}
    bundle = fhir(
        observation(7.2), observation(6.8, when="2026-06-01T23:30:00Z"), withdrawn, glucose, observation(7.2)
    )
    # The same value twice is one reading; UTC late evening is the next Paris day.
    assert readings(bundle, FHIR_MIME) == [Reading(7.2, date(2026, 9, 15)), Reading(6.8, date(2026, 6, 2))]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"text"'])
def test_broken_json_is_refused(content: bytes) -> None:
    with pytest.raises(UnreadableContent):
        readings(content, FHIR_MIME)


def test_odd_fhir_shapes_give_nothing_rather_than_fail() -> None:
    odd = [
        {"resourceType": "Bundle", "entry": "no"},
        {"resourceType": "Bundle", "entry": [1, {"resource": None}]},
        observation(7.0) | {"valueQuantity": {"value": True, "unit": "%"}},
        observation(7.0) | {"code": "4548-4"},
        observation(7.0, when="2026"),
    ]
    assert readings(fhir(odd[0]), FHIR_MIME) == []
    assert readings(fhir(odd[1]), FHIR_MIME) == []
    assert readings(fhir(odd[2]), FHIR_MIME) == []
    assert readings(fhir(odd[3]), FHIR_MIME) == []
    assert readings(fhir(odd[4]), FHIR_MIME) == [Reading(7.0, None)]


def test_other_formats_have_no_readings() -> None:
    assert readings(b"HbA1c 7.1 %", "text/plain") == []
