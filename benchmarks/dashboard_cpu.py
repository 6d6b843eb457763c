"""What one dashboard request costs the API process: CPU and wall time per request and
SQL statements, through the ASGI app in process (no network, no load generator), for
the GraphQL dashboard and for the benchmark's raw-SQL reference, on the `espace bench`
dataset of ESPACE_DATABASE_URL. Sequential requests: this measures cost, not throughput
(`espace bench` does that). With --profile, a pyinstrument tree goes to PATH.

    ESPACE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        python -m benchmarks.dashboard_cpu --requests 600 [--profile tree.txt]

Prints numbers; asserts nothing (a benchmark, not a test). The in-process figures
include the httpx client's share (about 1 ms a request here).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from api.app import access_tokens, create_app
from api.bench import queries, scenarios
from api.bench.reference import reference_app
from api.bench.server import REFERENCE_PREFIX, beside
from api.db import Database
from api.identity.dev_tokens import mint_development_token
from api.settings import Settings

SAMPLE = 200  # patients whose tokens are minted up front


async def measure(requests: int, profile: bool) -> str | None:
    """Prints the figures; returns the dashboard's profile tree when asked for."""
    settings = Settings()
    product = create_app(settings)
    app = beside(product, reference_app(settings, access_tokens(settings)))
    database = Database(settings)
    tokens = access_tokens(settings)
    accounts = await scenarios.patient_accounts(database, SAMPLE, uuid.UUID(int=0))
    await database.dispose()
    if not accounts:
        raise SystemExit("no patients here: run `espace bench` once on this database first")
    bearer = [f"Bearer {mint_development_token(settings, tokens, account)}" for account in accounts]
    year = scenarios.dashboard_year()
    statements = [0]
    tree = None

    def counted(*_: Any) -> None:
        statements[0] += 1

    async with product.router.lifespan_context(product):
        for engine in product.state.database.engines:
            event.listen(engine.sync_engine, "before_cursor_execute", counted)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def dashboard(n: int) -> httpx.Response:
                headers = {"Authorization": bearer[n % len(bearer)]}
                body = {"query": queries.DASHBOARD, "variables": {"year": year}}
                return await client.post("/graphql", json=body, headers=headers)

            async def reference(n: int) -> httpx.Response:
                headers = {"Authorization": bearer[n % len(bearer)]}
                return await client.get(f"{REFERENCE_PREFIX}/dashboard?year={year}", headers=headers)

            for name, send in (("dashboard", dashboard), ("reference", reference)):
                for n in range(50):  # warm-up: caches, pools, prepared statements
                    await send(n)
                statements[0] = 0
                profiler = None
                if profile and name == "dashboard":
                    import pyinstrument  # noqa: PLC0415 - optional, only with --profile

                    profiler = pyinstrument.Profiler(interval=0.0005)
                    profiler.start()
                wall, cpu = time.perf_counter(), time.process_time()
                for n in range(requests):
                    answer = await send(n)
                    if answer.status_code != 200 or "errors" in answer.json():
                        raise SystemExit(f"{name} failed: {answer.text[:300]}")
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if profiler is not None:
                    profiler.stop()
                    tree = profiler.output_text(unicode=False, color=False)
                print(
                    f"{name:10s} {requests} requests: {1000 * cpu / requests:6.2f} ms CPU, "
                    f"{1000 * wall / requests:6.2f} ms wall, {statements[0] / requests:4.1f} statements each"
                    + (" (profiled: slower)" if profiler is not None else "")
                )
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard_cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--profile", metavar="PATH", help="write a pyinstrument tree of the dashboard runs")
    args = parser.parse_args()
    tree = asyncio.run(measure(args.requests, profile=bool(args.profile)))
    if tree is not None:
        Path(args.profile).write_text(tree, encoding="utf-8")


if __name__ == "__main__":
    main()
