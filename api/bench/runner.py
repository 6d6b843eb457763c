"""`espace bench`: generate the dataset, then run each scenario against a fresh
API process pinned to core 0 from a load generator pinned to core 1; print a
table and write the JSON that runs are compared by."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text

from api.bench import queries, scenarios
from api.bench.load import LoadPlan, LoadResult, run_in_own_process
from api.bench.machine import machine, rss_mb, versions
from api.bench.server import REFERENCE_PREFIX
from api.bench.stats import Figures, figures
from api.db import Database
from api.settings import Settings

if TYPE_CHECKING:
    from api.bench.dataset import Dataset

API_CPU, LOAD_CPU = 0, 1
BENCH_RATE_LIMITS = (
    "ESPACE_RATE_LIMIT_IP",
    "ESPACE_RATE_LIMIT_OAUTH_IP",
    "ESPACE_RATE_LIMIT_TOKEN",
    "ESPACE_RATE_LIMIT_CLIENT",
    "ESPACE_QUERY_COST_BUDGET",
)
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class BenchOptions:
    patients: int = 10_000
    duration: float = 20.0
    concurrency: int = 32
    json_path: Path | None = None
    scenarios: tuple[str, ...] = scenarios.SCENARIOS
    sample: int = 1_000  # patients (and GPs) whose tokens are minted up front

    @property
    def warmup(self) -> float:
        return min(5.0, max(0.5, self.duration / 4))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpus() -> tuple[int | None, int | None]:
    """The API's and the load generator's cores; unpinned on a single core."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    return (API_CPU, LOAD_CPU) if {API_CPU, LOAD_CPU} <= usable else (None, None)


@contextmanager
def api_process(*, count_statements: bool = False) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The bench server (product + reference) on a free port, until the block ends."""
    port = _free_port()
    api_cpu, _ = _cpus()
    command = [sys.executable, "-m", "api.bench.server", "--port", str(port)]
    if api_cpu is not None:
        command += ["--cpu", str(api_cpu)]
    if count_statements:
        command.append("--count-statements")
    # The plugins' hooks run in their own worker (`espace plugins run-hooks --follow`) in a
    # deployment at this scale: the API process measured here serves requests only.
    # The load comes from one address with few tokens, at rates no person sends: the
    # product's rate limits would measure themselves. They are raised, still counted.
    environment = {
        **os.environ,
        "ESPACE_ENV": "development",
        "ESPACE_PLUGIN_HOOKS_INTERVAL": "0",
        **dict.fromkeys(BENCH_RATE_LIMITS, "100000000/minute"),
    }
    process = subprocess.Popen(command, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API process ended at start (status {process.returncode})")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API process did not answer within a minute")
            time.sleep(0.1)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _statements_of(base_url: str, request: Any) -> int:
    """SQL statements the API ran for one request (sent twice: the second counts)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for _ in range(2):
            before = client.get(f"{REFERENCE_PREFIX}/statements").json()["statements"]
            answer = client.request(
                request.method, request.path, content=request.body, headers=request.headers
            )
            after = client.get(f"{REFERENCE_PREFIX}/statements").json()["statements"]
            if answer.status_code != 200 or "errors" in answer.json():
                raise RuntimeError(f"the dashboard failed while counting statements: {answer.text[:300]}")
    return int(after - before)


async def _statement_subjects(
    database: Database, settings: Settings, dataset: Dataset
) -> list[dict[str, Any]]:
    """A patient with few documents and threads and one with the most."""
    from api.agenda.service import refresh
    from api.app import access_tokens
    from api.directory.records import AccountRecord
    from api.identity.dev_tokens import mint_development_token

    tokens = access_tokens(settings)
    subjects = []
    sql = (
        "SELECT a.id, a.handle, a.patient_id, "
        "(SELECT count(*) FROM documents d WHERE d.patient_id = a.patient_id) AS documents, "
        "(SELECT count(*) FROM threads t WHERE t.patient_id = a.patient_id) AS threads "
        "FROM accounts a WHERE a.patient_id IS NOT NULL ORDER BY documents {order}, threads {order} LIMIT 1"
    )
    async with database.read() as connection:
        rows = [(await connection.execute(text(sql.format(order=order)))).one() for order in ("ASC", "DESC")]
    for row in rows:
        await refresh(database, row.patient_id)
        account = AccountRecord(row.id, row.handle, row.patient_id, None, None, row.handle)
        subjects.append(
            {
                "patient_id": str(row.patient_id),
                "documents": row.documents,
                "threads": row.threads,
                "token": mint_development_token(settings, tokens, account),
            }
        )
    return subjects


def count_dashboard_statements(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    year = scenarios.dashboard_year()
    counted = []
    with api_process(count_statements=True) as (base_url, _):
        for subject in subjects:
            request = scenarios.graphql_request(subject["token"], queries.DASHBOARD, {"year": year})
            counted.append(
                {
                    "documents": subject["documents"],
                    "threads": subject["threads"],
                    "statements": _statements_of(base_url, request),
                }
            )
    return counted


def run_scenario(scenario: scenarios.Scenario, options: BenchOptions) -> tuple[LoadResult, float | None]:
    """One scenario on a fresh API process: the load's result and the process's RSS after it."""
    _, load_cpu = _cpus()
    with api_process() as (base_url, process):
        requests = asyncio.run(scenario.requests(base_url))
        plan = LoadPlan(base_url, requests, options.concurrency, options.duration, options.warmup, load_cpu)
        result = run_in_own_process(plan)
        return result, rss_mb(process.pid)


def _row(name: str, found: Figures) -> str:
    flag = "  <- ERRORS, not a valid run" if found.flagged else ""
    return (
        f"{name:<18} {found.rps:>9.1f} {found.p50_ms:>9.2f} {found.p95_ms:>9.2f} {found.p99_ms:>9.2f} "
        f"{found.errors:>7}{flag}"
    )


def print_report(report: dict[str, Any]) -> None:
    print(f"\n{'scenario':<18} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name, found in report["scenarios"].items():
        print(_row(name, Figures(**{k: v for k, v in found.items() if k != "flagged"})))
        for sample in report["error_samples"].get(name, []):
            print(f"    {sample}")
    ratio = report.get("dashboard_vs_reference")
    if ratio is not None:
        print(f"\ndashboard / reference throughput: {ratio:.3f}x (target 0.7x)")
    for counted in report["statements_per_dashboard"]:
        print(
            f"SQL statements per dashboard request: {counted['statements']} "
            f"(patient with {counted['documents']} documents, {counted['threads']} threads)"
        )
    rss = ", ".join(f"{name} {mb} MB" for name, mb in report["rss_mb"].items())
    print(f"API process RSS after each run: {rss} (target < 300 MB)")


def run(settings: Settings, options: BenchOptions) -> dict[str, Any]:
    """The whole benchmark; returns the report written as JSON."""
    started = time.time()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    from api.bench.dataset import prepare as prepare_dataset  # the generator, built apart

    dataset = asyncio.run(prepare_dataset(settings, patients=options.patients, progress=True))

    async def prepare() -> tuple[dict[str, scenarios.Scenario], list[dict[str, Any]], dict[str, Any]]:
        from api.app import access_tokens

        database = Database(settings)
        try:
            made = await scenarios.build(
                settings, database, access_tokens(settings), dataset, options.scenarios, sample=options.sample
            )
            subjects = await _statement_subjects(database, settings, dataset)
            return made, subjects, await versions(database)
        finally:
            await database.dispose()

    print("Preparing the scenarios' requests...", file=sys.stderr, flush=True)
    made, subjects, found_versions = asyncio.run(prepare())
    counted = count_dashboard_statements(subjects)
    results: dict[str, Figures] = {}
    samples: dict[str, list[str]] = {}
    rss: dict[str, float | None] = {}
    for name, scenario in made.items():
        print(
            f"Running {name} ({scenario.what}): {options.duration:g} s "
            f"at concurrency {options.concurrency}...",
            file=sys.stderr,
            flush=True,
        )
        result, rss[name] = run_scenario(scenario, options)
        results[name] = figures(result.latencies, errors=result.errors, seconds=result.seconds)
        if result.error_samples:
            samples[name] = result.error_samples
    ratio = None
    if "dashboard" in results and "reference" in results and results["reference"].rps:
        ratio = round(results["dashboard"].rps / results["reference"].rps, 3)
    report = {
        "id": str(uuid.uuid4()),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "command": "espace bench " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["bench"] else None,
        "options": {
            "patients": options.patients,
            "duration": options.duration,
            "warmup": options.warmup,
            "concurrency": options.concurrency,
            "scenarios": list(options.scenarios),
            "pinned": dict(zip(("api_cpu", "load_cpu"), _cpus(), strict=True)),
        },
        "scenarios": {name: found.as_json() for name, found in results.items()},
        "flagged": sorted(name for name, found in results.items() if found.flagged),
        "error_samples": samples,
        "dashboard_vs_reference": ratio,
        "statements_per_dashboard": counted,
        "rss_mb": rss,
        "rss_mb_max": max((mb for mb in rss.values() if mb is not None), default=None),
        "dataset": dataset.as_json(),
        "versions": found_versions,
        "machine": machine(),
    }
    print_report(report)
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nJSON written to {options.json_path}")
    return report
