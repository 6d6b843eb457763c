"""French full-text search: accents folded, the document's own text searched,
and what a reader may not see never found."""

from __future__ import annotations

import pytest

from api.access.models import CareRole
from api.dossier import formats, text
from tests import factories
from tests.conftest import error_codes
from tests.dossier.test_deposit import upload

SEARCH = """query($id: ID!, $q: String) { patient(id: $id) { documents(first: 20, search: $q) {
  totalCount edges { node { title } } } } }"""


def one_page_pdf(words: str) -> bytes:
    """A real, minimal PDF whose page shows `words` (Latin-1), with a correct xref."""
    stream = f"BT /F1 12 Tf 72 720 Td ({words}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


async def _titles(gql, token, patient, query) -> set[str]:
    body = await gql(SEARCH, {"id": patient.global_id, "q": query}, token=token)
    assert "errors" not in body, body
    return {edge["node"]["title"] for edge in body["data"]["patient"]["documents"]["edges"]}


def test_text_is_extracted_from_pdf_cda_and_fhir() -> None:
    assert "Hémoglobine glyquée" in text.extract(one_page_pdf("Hémoglobine glyquée 7,1 %"), formats.PDF)
    cda = '<ClinicalDocument xmlns="urn:hl7-org:v3"><text>Créatininémie normale</text></ClinicalDocument>'
    assert text.extract(cda.encode(), formats.CDA) == "Créatininémie normale"
    fhir = (
        b'{"resourceType": "Observation", "id": "x", "code": {"text": "Glyc\\u00e9mie"}, '
        b'"text": {"div": "<div>\\u00e0 jeun</div>"}}'
    )
    assert "Glycémie" in text.extract(fhir, formats.FHIR)
    assert "à jeun" in text.extract(fhir, formats.FHIR)
    entity_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ClinicalDocument>&a;</ClinicalDocument>'
    )
    assert text.extract(entity_bomb, formats.CDA) == ""


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_entities_are_refused_in_any_encoding(encoding: str) -> None:
    """UTF-16 text has no `<!ENTITY` bytes: the refusal cannot be a byte scan."""
    entity = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "Créatininémie">]>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><text>&a; normale</text></ClinicalDocument>'
    )
    assert text.extract(entity.encode(encoding), formats.CDA) == ""
    plain = entity.replace('<!DOCTYPE x [<!ENTITY a "Créatininémie">]>', "").replace("&a;", "Créatininémie")
    assert text.extract(plain.encode(encoding), formats.CDA) == "Créatininémie normale"


async def test_hemoglobine_finds_the_lab_report(client, gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    token = await token_of(patient)
    variables = {"patientId": patient.global_id, "title": "Résultats de biologie", "typeCode": "11502-2"}
    body = (await upload(client, token, variables, one_page_pdf("Hémoglobine glyquée 7,1 %"))).json()
    assert body["data"]["depositDocument"]["userErrors"] == []
    await factories.deposit(
        database, contents, patient, title="Compte rendu", type_code="11488-4", content=b"Tension normale"
    )
    assert await _titles(gql, token, patient, "hemoglobine") == {"Résultats de biologie"}
    assert await _titles(gql, token, patient, "HÉMOGLOBINE glyquee") == {"Résultats de biologie"}
    assert await _titles(gql, token, patient, "tension") == {"Compte rendu"}
    assert await _titles(gql, token, patient, "biologie") == {"Résultats de biologie"}  # the title counts too
    assert await _titles(gql, token, patient, "radiographie") == set()


async def test_search_never_finds_what_the_reader_may_not_see(gql, database, contents, token_of) -> None:
    patient = await factories.make_patient(database)
    pharmacist = await factories.make_professional(database, profession="pharmacist")
    await factories.add_to_care_team(database, patient, pharmacist, CareRole.DECLARED_BY_PATIENT)
    await factories.deposit(
        database, contents, patient, title="HbA1c visible", content=b"hemoglobine glyquee"
    )
    await factories.deposit(
        database,
        contents,
        patient,
        title="HbA1c masquee",
        content=b"hemoglobine glyquee",
        masked_from_professionals=True,
    )
    await factories.deposit(
        database, contents, patient, title="Imagerie", type_code="18748-4", content=b"hemoglobine"
    )
    body = await gql(SEARCH, {"id": patient.global_id, "q": "hemoglobine"}, token=await token_of(pharmacist))
    listing = body["data"]["patient"]["documents"]
    assert listing["totalCount"] == 1
    assert {edge["node"]["title"] for edge in listing["edges"]} == {"HbA1c visible"}


async def test_a_search_without_words_is_refused(gql, database, token_of) -> None:
    patient = await factories.make_patient(database)
    for query in ("", "   ", "!!! ???", "x" * 201):
        body = await gql(SEARCH, {"id": patient.global_id, "q": query}, token=await token_of(patient))
        assert error_codes(body) == ["BAD_USER_INPUT"], query
