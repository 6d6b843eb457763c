"""The demo: Nadia's structured lab result shows as a lab-sourced HbA1c once the hooks ran."""

from __future__ import annotations

from sqlalchemy import select

from api.demo.dossier import deposit_demo_documents
from api.demo.profile import enter_demo_profiles
from api.dossier import service
from api.dossier.models import Document
from api.dossier.records import DocumentRecord
from api.graphql.ids import encode_id
from api.hooks import run_hooks
from api.identity.dev_tokens import find_account
from api.timezones import paris_today

QUERY = """query { patient { glycemia { hba1c(last: 10) { value date source documentId } } } }"""


async def test_nadias_cda_lab_report_gives_a_lab_reading(database, contents, gql, token_for) -> None:
    await deposit_demo_documents(database, contents)
    await enter_demo_profiles(database)
    nadia = await find_account(database, "nadia")
    async with database.read() as connection:
        row = (
            await connection.execute(
                select(*service.COLUMNS).where(
                    Document.patient_id == nadia.patient_id,
                    Document.title == "Hémoglobine glyquée (HbA1c) - résultat structuré",
                )
            )
        ).one()
    record = DocumentRecord(*row)
    await run_hooks(database, contents)
    body = await gql(QUERY, token=await token_for("nadia"))
    readings = body["data"]["patient"]["glycemia"]["hba1c"]
    assert {
        "value": 7.2,
        "date": paris_today().isoformat(),
        "source": "LAB_RESULT",
        "documentId": encode_id("Document", record.id),
    } in readings
    assert any(reading["source"] == "PROFILE" for reading in readings)  # her GP's entries
