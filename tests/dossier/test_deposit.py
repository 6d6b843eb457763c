"""Depositing documents over the GraphQL multipart request spec."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from api.access.models import CareRole
from api.app import create_app
from tests import factories
from tests.conftest import error_codes
from tests.journal.helpers import entries, events

DEPOSIT = """mutation($input: DepositDocumentInput!) { depositDocument(input: $input) {
  document { id title typeCode typeLabel category mimeType fileName sizeBytes sha256 status depositedBy
    author { id } organization { name } visibility { hiddenFromPatient } }
  userErrors { field message code } } }"""
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CDA = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>CR</title></ClinicalDocument>'


async def upload(
    client: httpx.AsyncClient,
    token: str,
    variables: dict,
    content: bytes,
    *,
    name: str = "result.pdf",
    content_type: str = "application/octet-stream",
    preflight: bool = True,
) -> httpx.Response:
    operations = {"query": DEPOSIT, "variables": {"input": {**variables, "file": None}}}
    files = {"0": (name, content, content_type)}
    data = {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})}
    headers = {"Authorization": f"Bearer {token}"}
    if preflight:
        headers["GraphQL-Preflight"] = "1"
    return await client.post("/graphql", data=data, files=files, headers=headers)


@pytest.fixture
async def team(database):
    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    return patient, doctor


async def test_a_professional_deposits_a_pdf(client, database, token_of, team, settings) -> None:
    patient, doctor = team
    variables = {"patientId": patient.global_id, "title": "Compte rendu trimestriel", "typeCode": "11488-4"}
    response = await upload(client, await token_of(doctor), variables, PDF, name="../../etc/CR juin.pdf")
    body = response.json()
    payload = body["data"]["depositDocument"]
    assert payload["userErrors"] == [], body
    document = payload["document"]
    assert document["mimeType"] == "application/pdf"
    assert document["fileName"] == "CR juin.pdf"
    assert (document["category"], document["typeLabel"]) == ("REPORT", "Compte rendu de consultation")
    assert document["sizeBytes"] == len(PDF)
    assert document["depositedBy"] == "PROFESSIONAL"
    assert document["author"] == {"id": doctor.global_id}
    assert document["organization"]["name"] == f"Org {doctor.handle}"
    logged = await entries(database, patient.person_id)
    assert ("CREATE", "Document") in {(e.action, e.object_type) for e in logged}
    assert len(await events(database, patient.person_id, "dossier.document_deposited")) == 1
    # Encrypted at rest: the bytes in the content folder are not the document's.
    blobs = [path.read_bytes() for path in Path(settings.resolved_content_dir).rglob("*") if path.is_file()]  # noqa: ASYNC240
    assert blobs
    assert not any(b"trailer" in blob for blob in blobs)


async def test_the_patient_adds_a_document_and_formats_come_from_the_content(client, token_of, team) -> None:
    patient, _ = team
    token = await token_of(patient)
    for content, expected in (
        (PNG, "image/png"),
        (CDA, "application/hl7-cda+xml"),
        (b'{"resourceType": "Observation"}', "application/fhir+json"),
        (b"Tension 12/8", "text/plain"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
    ):
        body = (
            await upload(
                client,
                token,
                {"patientId": patient.global_id, "title": "Mon document", "typeCode": "51851-4"},
                content,
                name="x.pdf",
            )
        ).json()
        payload = body["data"]["depositDocument"]
        assert payload["userErrors"] == [], body
        assert payload["document"]["mimeType"] == expected
        assert payload["document"]["depositedBy"] == "PATIENT"


@pytest.mark.parametrize(
    ("variables", "content", "content_type", "field"),
    [
        ({"typeCode": "99999-9"}, PDF, "application/pdf", "typeCode"),
        ({}, PNG, "application/pdf", "file"),  # announced PDF, is PNG
        ({}, b"\x00\x01\x02garbage", "application/octet-stream", "file"),
        ({}, b"<html><body>hi</body></html>", "text/html", "file"),
        ({}, b'{"hello": "world"}', "application/json", "file"),
        ({}, b"{not json", "application/json", "file"),
        ({"title": "   "}, PDF, "application/pdf", "title"),
        ({"title": "Bad\\u0000title"}, PDF, "application/pdf", "title"),
        ({"hiddenFromPatient": True}, PDF, "application/pdf", "hiddenFromPatient"),
    ],
)
async def test_bad_deposits_are_user_errors_and_leave_nothing(
    client, database, token_of, team, variables, content, content_type, field
) -> None:
    patient, _ = team
    base = {"patientId": patient.global_id, "title": "Un document", "typeCode": "11488-4"}
    if "title" in variables:
        variables = {**variables, "title": json.loads(f'"{variables["title"]}"')}
    body = (
        await upload(
            client, await token_of(patient), {**base, **variables}, content, content_type=content_type
        )
    ).json()
    payload = body["data"]["depositDocument"]
    assert payload["document"] is None
    assert payload["userErrors"][0]["field"] == [field], payload
    listing = await _count(client, await token_of(patient), patient)
    assert listing == 0


async def _count(client, token: str, patient) -> int:
    response = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { patient(id: $id) { documents(first: 10) { totalCount } } }",
            "variables": {"id": patient.global_id},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()["data"]["patient"]["documents"]["totalCount"]


async def test_outsiders_and_tokens_without_the_scope_cannot_deposit(
    client, database, token_of, team
) -> None:
    patient, _ = team
    outsider = await factories.make_professional(database)
    variables = {"patientId": patient.global_id, "title": "Intrus", "typeCode": "11488-4"}
    refused = (await upload(client, await token_of(outsider), variables, PDF)).json()
    assert error_codes(refused) == ["FORBIDDEN"]
    reader = await token_of(patient, scopes={"documents:read"})
    assert error_codes((await upload(client, reader, variables, PDF)).json()) == ["FORBIDDEN"]
    assert await _count(client, await token_of(patient), patient) == 0


async def test_uploads_need_a_preflight_header(client, token_of, team) -> None:
    patient, _ = team
    response = await upload(
        client,
        await token_of(patient),
        {"patientId": patient.global_id, "title": "x", "typeCode": "11488-4"},
        PDF,
        preflight=False,
    )
    assert response.status_code == 400


async def test_an_upload_over_the_limit_is_refused_while_streaming(
    settings, database, token_of, team
) -> None:
    patient, _ = team
    small = settings.model_copy(update={"upload_max_bytes": 5_000})
    app = create_app(small, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        variables = {"patientId": patient.global_id, "title": "Trop gros", "typeCode": "11488-4"}
        response = await upload(client, await token_of(patient), variables, PDF + b"x" * 200_000)
        assert response.status_code == 413
        just_over = await upload(client, await token_of(patient), variables, PDF + b"x" * 5_000)
        assert just_over.json()["data"]["depositDocument"]["userErrors"][0]["field"] == ["file"]


async def test_a_deposit_feed_deposits_by_ins_and_reads_nothing(
    client, database, token_of, team, tokens
) -> None:
    from sqlalchemy import select

    from api.directory.models import Organization
    from api.oauth.admin import register_software

    patient, _ = team
    async with database.read() as connection:
        organization_id = await connection.scalar(
            select(Organization.id).where(Organization.finess == "750036527")
        )
    client_id = f"lims-{patient.handle[-6:]}"
    secret = await register_software(
        database,
        client_id=client_id,
        name="LIMS",
        organization_id=organization_id,
        scopes=["documents:write"],
    )
    token = (
        await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    ).json()["access_token"]
    body = (
        await upload(
            client,
            token,
            {"patientIns": patient.ins, "title": "HbA1c", "typeCode": "11502-2"},
            b"HbA1c 7,1 %",
        )
    ).json()
    document = body["data"]["depositDocument"]["document"]
    assert document["category"] == "LAB_RESULT"
    assert document["organization"]["name"] == "Laboratoire BioSud Paris Est"
    assert document["author"] is None
    by_id = (
        await upload(
            client, token, {"patientId": patient.global_id, "title": "x", "typeCode": "11502-2"}, b"x"
        )
    ).json()
    assert by_id["data"]["depositDocument"]["userErrors"][0]["field"] == ["patientIns"]
    unknown = (
        await upload(
            client,
            token,
            {
                "patientIns": "1991275000001" + f"{97 - 1991275000001 % 97:02d}",
                "title": "x",
                "typeCode": "11502-2",
            },
            b"x",
        )
    ).json()
    assert error_codes(unknown) == ["NOT_FOUND"]
    read = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { patient(id: $id) { documents(first: 5) { totalCount } } }",
            "variables": {"id": patient.global_id},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert error_codes(read.json()) == ["FORBIDDEN"]
    assert await _count(client, await token_of(patient), patient) == 1
