"""Lists load through dataloaders: statements do not grow with the list."""

from __future__ import annotations


async def test_professionals_and_their_organizations_load_in_one_statement_each(
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
    # One statement to authenticate, one for the professionals, one for their organizations.
    assert six == two == 3


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
