"""The whole benchmark on a tiny dataset, one second per scenario, in a fresh
PostgreSQL database of its own. Checks the report's shape, never its figures."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from tests.conftest import TEST_DATABASE_ENV, _create_postgres_database, _drop_postgres_database

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get(TEST_DATABASE_ENV),
        reason="the benchmark runs on PostgreSQL (the suite's PostgreSQL pass)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("api.bench.dataset") is None, reason="the dataset generator is not here yet"
    ),
]


@pytest.fixture
async def bench_database_url():
    server = os.environ[TEST_DATABASE_ENV]
    url = await _create_postgres_database(server)
    yield url
    await _drop_postgres_database(server, url)


def test_a_tiny_bench_runs_every_scenario(bench_database_url, tmp_path, monkeypatch) -> None:
    from api.bench.runner import BenchOptions, run
    from api.settings import Settings

    monkeypatch.setenv("ESPACE_DATABASE_URL", bench_database_url)
    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ESPACE_ENV", "development")
    path = tmp_path / "bench.json"
    options = BenchOptions(patients=20, duration=1.0, concurrency=4, json_path=path, sample=20)
    report = run(Settings(), options)
    written = json.loads(path.read_text())
    assert written["id"] == report["id"]
    for name in ("dashboard", "reference", "professional_read", "deposit", "search"):
        found = written["scenarios"][name]
        assert found["requests"] > 0, name
        assert {"rps", "p50_ms", "p95_ms", "p99_ms"} <= found.keys()
    assert written["flagged"] == []
    assert written["dashboard_vs_reference"] > 0
    # Counted for a small and a large space (their being equal is a target the report shows).
    assert all(counted["statements"] > 0 for counted in written["statements_per_dashboard"])
    assert written["rss_mb_max"] > 0
    assert written["dataset"]["patients"] >= 20
    assert {"python", "strawberry-graphql", "sqlalchemy", "asyncpg", "postgresql"} <= written[
        "versions"
    ].keys()
    assert written["machine"]["cores"] >= 1
