"""The load generator: C asyncio workers on keep-alive connections (aiohttp),
in a process of its own pinned to another core than the API, each sending a
random request of the plan for the duration after a warm-up, timing each."""

from __future__ import annotations

import asyncio
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import orjson

# Error samples kept to explain a flagged run.
MAX_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Request:
    """One HTTP request, ready to send as is. `graphql`: a 200 that carries
    `errors` (or, for `mutation`, non-empty userErrors) is an error too."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    graphql: bool = True
    mutation: str | None = None


@dataclass(frozen=True)
class LoadPlan:
    base_url: str
    requests: list[Request]
    concurrency: int
    duration: float
    warmup: float
    cpu: int | None = None


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, measured phase only
    errors: int = 0
    seconds: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def failure(request: Request, status: int, body: bytes) -> str | None:
    """Why this answer is an error, or None for a good one."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    if not request.graphql:
        return None
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"not JSON: {body[:200]!r}"
    if answer.get("errors") or answer.get("data") is None:
        return f"GraphQL errors: {orjson.dumps(answer.get('errors'))[:300]!r}"
    if request.mutation and (answer["data"].get(request.mutation) or {}).get("userErrors"):
        return f"userErrors: {orjson.dumps(answer['data'][request.mutation]['userErrors'])[:300]!r}"
    return None


async def _drive(plan: LoadPlan) -> LoadResult:
    import aiohttp

    result = LoadResult()
    connector = aiohttp.TCPConnector(limit=plan.concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    started = time.perf_counter()
    measure_from = started + plan.warmup
    stop_at = measure_from + plan.duration
    chooser = random.Random(9)  # the same sequence on each run

    async def worker(session: aiohttp.ClientSession) -> None:
        while True:
            request = chooser.choice(plan.requests)
            sent = time.perf_counter()
            if sent >= stop_at:
                return
            try:
                async with session.request(
                    request.method,
                    plan.base_url + request.path,
                    data=request.body or None,
                    headers=request.headers,
                ) as response:
                    body = await response.read()
                    problem = failure(request, response.status, body)
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = f"{type(error).__name__}: {error}"
            done = time.perf_counter()
            if sent < measure_from:
                continue  # warm-up: neither timed nor counted
            result.latencies.append(done - sent)
            if problem is not None:
                result.errors += 1
                if len(result.error_samples) < MAX_ERROR_SAMPLES:
                    result.error_samples.append(problem)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(plan.concurrency)))
    result.seconds = max(time.perf_counter(), stop_at) - measure_from
    return result


def drive(plan: LoadPlan) -> LoadResult:
    """Run the plan here (the pool's child calls it)."""
    if plan.cpu is not None:
        pin_to(plan.cpu)
    try:
        import uvloop
    except ImportError:  # plain asyncio works, a little slower
        return asyncio.run(_drive(plan))
    return uvloop.run(_drive(plan))


def run_in_own_process(plan: LoadPlan) -> LoadResult:
    """Run the plan in a fresh process, so the generator never shares the API's core."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(drive, plan).result()


def pin_to(cpu: int) -> None:
    """Keep this process on one core, when the machine has it."""
    if hasattr(os, "sched_setaffinity") and cpu in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {cpu})
