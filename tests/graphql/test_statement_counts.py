"""Lists load through dataloaders: statements do not grow with the list."""

from __future__ import annotations


async def test_professionals_and_their_organizations_load_in_one_statement(
    gql, token_for, count_statements
) -> None:
    handles = ["gp", "lab", "dietitian", "pharmacist", "cardiologist", "nurse"]
    ids = []
    for handle in handles:
        body = await gql("{ viewer { professional { id } } }", as_=handle)
        ids.append(body["data"]["viewer"]["professional"]["id"])

    async def run(some_ids: list[str]) -> int:
        fields = " ".join(
            f'p{i}: node(id: "{node_id}") {{ ... on Professional {{ displayName organization {{ name }} }} }}'
            for i, node_id in enumerate(some_ids)
        )
        token = await token_for("nadia")
        before = count_statements.count
        body = await gql(f"{{ {fields} }}", token=token)
        assert "errors" not in body
        assert all(body["data"][f"p{i}"]["organization"]["name"] for i in range(len(some_ids)))
        return count_statements.count - before

    two = await run(ids[:2])
    six = await run(ids)
    # One statement to authenticate, one for the professionals with their organizations.
    assert six == two == 2


async def test_spaces_of_a_representative_load_in_constant_statements(
    gql, database, token_of, count_statements
) -> None:
    from tests import factories

    async def statements_for(children: int) -> tuple[int, int]:
        parent = await factories.make_patient(database)
        for _ in range(children):
            await factories.represent(database, await factories.make_patient(database), parent)
        token = await token_of(parent)
        before = len(count_statements.statements)
        body = await gql("{ viewer { patients { displayName birthDate } } }", token=token)
        assert len(body["data"]["viewer"]["patients"]) == children + 1
        ran = count_statements.statements[before:]
        journal = [
            s for s in ran if "journal_" in s or "space_visitors" in s or s.startswith(("BEGIN", "COMMIT"))
        ]
        return len(ran) - len(journal), len(journal)

    reads_two, journal_two = await statements_for(2)
    reads_five, journal_five = await statements_for(5)
    # Authentication, representations, facts of every space, the patients: whatever the count.
    assert reads_two == reads_five == 4
    # The journal is written space by space (each its own chain), three statements each.
    assert journal_five > journal_two


async def test_a_page_of_documents_takes_the_same_statements_whatever_its_size(
    gql, database, contents, token_of, count_statements
) -> None:
    from datetime import date

    from api.access.models import CareRole
    from tests import factories

    patient = await factories.make_patient(database)
    doctor = await factories.make_professional(database)
    await factories.add_to_care_team(database, patient, doctor, CareRole.MEDECIN_TRAITANT)
    for index in range(6):
        await factories.deposit(
            database,
            contents,
            patient,
            by=doctor if index % 2 else None,
            title=f"Glycémie {index}",
            service_date=date(2024, 1, index + 1),
        )
    token = await token_of(patient)
    query = """query($id: ID!, $first: Int!, $order: DocumentOrder, $q: String) {
      patient(id: $id) { documents(first: $first, orderBy: $order, search: $q) {
        totalCount edges { cursor node { title serviceDate author { displayName } } } } } }"""

    async def statements(first: int, order: str, search: str | None) -> int:
        before = count_statements.count
        body = await gql(
            query, {"id": patient.global_id, "first": first, "order": order, "q": search}, token=token
        )
        assert "errors" not in body, body
        assert len(body["data"]["patient"]["documents"]["edges"]) == first
        return count_statements.count - before

    for order, search in (
        ("DEPOSITED_AT_DESC", None),
        ("SERVICE_DATE_DESC", None),
        ("RELEVANCE", "glycemies"),
        ("DEPOSITED_AT_DESC", "glycemie"),
    ):
        assert await statements(2, order, search) == await statements(6, order, search), order
