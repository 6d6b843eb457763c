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
