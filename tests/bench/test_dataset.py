"""The benchmark's dataset, generated small into a database of its own on the
suite's PostgreSQL server (ESPACE_TEST_DATABASE_URL, the suite's PostgreSQL pass)."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import access_tokens, create_app
from api.bench import marker
from api.bench.bulk import asyncpg_dsn
from api.bench.dataset import LAB_CLIENT_ID, Dataset, prepare
from api.bench.people import handle_of
from api.db import Database
from api.directory.identifiers import is_valid_ins
from api.identity.dev_tokens import find_account, mint_development_token
from api.settings import Settings
from api.timezones import paris_today
from tests.conftest import TEST_DATABASE_ENV, _create_postgres_database, _drop_postgres_database

PATIENTS = 20
CHRONIC_DOCUMENTS = 60
needs_postgres = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_ENV),
    reason="the benchmark dataset is PostgreSQL only (the suite's PostgreSQL pass)",
)

DASHBOARD = """
query($year: Int!) {
  patient {
    displayName
    documents(first: 20) {
      totalCount
      edges { node { title typeCode serviceDate author { displayName profession organization { name } } } }
    }
    agenda(first: 5) { totalCount edges { node { title status } } }
    threads(first: 10) { totalCount edges { node { subject lastMessageAt unreadCount } } }
    reimbursementSummary(year: $year) { reimbursedCents outOfPocketCents }
  }
}
"""


@pytest.fixture(scope="module")
async def bench_settings(tmp_path_factory: pytest.TempPathFactory):
    server = os.environ[TEST_DATABASE_ENV]
    url = await _create_postgres_database(server)
    var_dir: Path = tmp_path_factory.mktemp("bench-var")
    try:
        yield Settings(
            _env_file=None, var_dir=var_dir, database_url=url, env="development", plugin_hooks_interval=0
        )
    finally:
        await _drop_postgres_database(server, url)


@pytest.fixture(scope="module")
async def dataset(bench_settings: Settings) -> Dataset:
    return await prepare(
        bench_settings, patients=PATIENTS, chronic_documents=CHRONIC_DOCUMENTS, progress=False
    )


async def _fetch(settings: Settings, query: str, *args):
    connection = await asyncpg.connect(asyncpg_dsn(settings))
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def _counts(settings: Settings) -> dict[str, int]:
    tables = (
        "patients",
        "professionals",
        "documents",
        "messages",
        "agenda_items",
        "reimbursements",
        "accounts",
    )
    rows = await _fetch(settings, " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables))  # noqa: S608
    return {row[0]: row[1] for row in rows}


async def test_a_sqlite_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, var_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    with pytest.raises(RuntimeError, match="PostgreSQL only"):
        await prepare(settings, patients=2, progress=False)
    assert not (tmp_path / "x.db").exists()


@needs_postgres
async def test_sizes_scale_with_the_patients(dataset: Dataset, bench_settings: Settings) -> None:
    assert (dataset.patients, dataset.professionals) == (PATIENTS, 10)
    assert dataset.documents == (PATIENTS - 1) * 50 + CHRONIC_DOCUMENTS
    assert dataset.messages == PATIENTS * 10
    assert PATIENTS * 12 <= dataset.reimbursements <= PATIENTS * 36
    assert dataset.agenda_items >= PATIENTS * 5
    counts = await _counts(bench_settings)
    assert {name: counts[name] for name in dataset.as_json() if name in counts} == {
        name: value for name, value in dataset.as_json().items() if name in counts
    }
    assert counts["accounts"] == PATIENTS + dataset.professionals
    chronic = await _fetch(
        bench_settings, "SELECT count(*) FROM documents WHERE patient_id = $1", dataset.chronic_patient_id
    )
    assert chronic[0][0] == CHRONIC_DOCUMENTS
    assert "lab_client_secret" not in dataset.as_json()


@needs_postgres
async def test_every_space_has_valid_identity_a_care_team_threads_and_todays_agenda(
    dataset: Dataset, bench_settings: Settings
) -> None:
    patients = await _fetch(bench_settings, "SELECT ins FROM patients")
    assert all(is_valid_ins(row["ins"]) for row in patients)
    assert len({row["ins"] for row in patients}) == PATIENTS
    teams = await _fetch(
        bench_settings,
        "SELECT patient_id, count(*) AS size, count(*) FILTER (WHERE role = 'MEDECIN_TRAITANT') AS gp "
        "FROM care_relationships GROUP BY patient_id",
    )
    assert len(teams) == PATIENTS
    assert all(row["gp"] == 1 and 3 <= row["size"] <= 5 for row in teams)
    threads = await _fetch(bench_settings, "SELECT patient_id, count(*) FROM threads GROUP BY patient_id")
    assert all(2 <= row[1] <= 3 for row in threads)
    assert len(threads) == PATIENTS
    states = await _fetch(bench_settings, "SELECT computed_day FROM agenda_states")
    assert [row[0] for row in states] == [paris_today()] * PATIENTS


@needs_postgres
async def test_search_vectors_are_the_deposits_french_vectors(
    dataset: Dataset, bench_settings: Settings
) -> None:
    rows = await _fetch(
        bench_settings,
        "SELECT count(*) FILTER (WHERE search_vector IS NULL), "
        "count(*) FILTER (WHERE search_vector @@ plainto_tsquery('french', unaccent('hémoglobine glyquée'))) "
        "FROM documents WHERE patient_id = $1",
        dataset.chronic_patient_id,
    )
    missing, found = rows[0]
    assert missing == 0
    assert 0 < found < CHRONIC_DOCUMENTS


@needs_postgres
async def test_a_generated_patient_reads_the_dashboard_without_recomputing_the_agenda(
    dataset: Dataset, bench_settings: Settings
) -> None:
    database = Database(bench_settings)
    try:
        account = await find_account(database, handle_of(2))
        assert account is not None
        token = mint_development_token(bench_settings, access_tokens(bench_settings), account)
        before = await _fetch(
            bench_settings, "SELECT computed_at FROM agenda_states WHERE patient_id = $1", account.patient_id
        )
        transport = httpx.ASGITransport(app=create_app(bench_settings, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            year = paris_today().year
            response = await client.post(
                "/graphql",
                json={"query": DASHBOARD, "variables": {"year": year}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert "errors" not in body, body
        patient = body["data"]["patient"]
        assert patient["documents"]["totalCount"] == 50
        assert len(patient["documents"]["edges"]) == 20
        authored = [
            edge["node"]["author"] for edge in patient["documents"]["edges"] if edge["node"]["author"]
        ]
        assert authored
        assert all(author["organization"]["name"] for author in authored)
        assert len(patient["agenda"]["edges"]) == 5
        assert patient["threads"]["totalCount"] in (2, 3)
        # The latest message of each thread is unread by the other side.
        assert {edge["node"]["unreadCount"] for edge in patient["threads"]["edges"]} <= {0, 1}
        expected = await _fetch(
            bench_settings,
            "SELECT coalesce(sum(reimbursed_cents), 0), coalesce(sum(out_of_pocket_cents), 0) "
            "FROM reimbursements WHERE patient_id = $1 AND extract(year FROM care_date) = $2",
            account.patient_id,
            year,
        )
        assert patient["reimbursementSummary"] == {
            "reimbursedCents": expected[0][0],
            "outOfPocketCents": expected[0][1],
        }
        after = await _fetch(
            bench_settings, "SELECT computed_at FROM agenda_states WHERE patient_id = $1", account.patient_id
        )
        assert after == before  # read, not recomputed
    finally:
        await database.dispose()


@needs_postgres
async def test_the_lab_feed_gets_a_token(dataset: Dataset, bench_settings: Settings) -> None:
    database = Database(bench_settings)
    try:
        transport = httpx.ASGITransport(app=create_app(bench_settings, database))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            issued = await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(dataset.lab_client_id, dataset.lab_client_secret),
            )
        assert issued.status_code == 200, issued.text
        assert issued.json()["scope"] == "documents:write"
        assert dataset.lab_client_id == LAB_CLIENT_ID
    finally:
        await database.dispose()


@needs_postgres
async def test_the_same_size_is_reused_without_a_new_row(dataset: Dataset, bench_settings: Settings) -> None:
    before = await _counts(bench_settings)
    again = await prepare(
        bench_settings, patients=PATIENTS, chronic_documents=CHRONIC_DOCUMENTS, progress=False
    )
    assert again.as_json() == dataset.as_json()
    assert await _counts(bench_settings) == before
    assert again.lab_client_secret != dataset.lab_client_secret  # secrets are kept hashed: a new one


@needs_postgres
async def test_another_size_is_refused(dataset: Dataset, bench_settings: Settings) -> None:
    with pytest.raises(marker.BenchDatabaseRefused, match="20 patients"):
        await prepare(
            bench_settings, patients=PATIENTS + 1, chronic_documents=CHRONIC_DOCUMENTS, progress=False
        )


@needs_postgres
async def test_a_database_of_other_data_is_refused_and_left_alone(settings: Settings, database) -> None:
    # The suite's own database holds the demo personas and no benchmark marker.
    with pytest.raises(marker.BenchDatabaseRefused, match="not a benchmark database"):
        await prepare(settings, patients=2, progress=False)
    rows = await _fetch(settings, "SELECT to_regclass('bench_marker') IS NULL")
    assert rows[0][0] is True
