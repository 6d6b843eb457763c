"""What a run's figures depend on: versions and the machine, for the JSON."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import text

from api.db import Database

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "sqlalchemy",
    "asyncpg",
    "starlette",
    "uvicorn",
    "aiohttp",
    "orjson",
)


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    memory = _first("/proc/meminfo", "MemTotal")
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_mb": int(memory.split()[0]) // 1024 if memory else None,
        "system": platform.platform(),
    }


async def versions(database: Database) -> dict[str, Any]:
    found: dict[str, Any] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    async with database.read() as connection:
        found["postgresql"] = await connection.scalar(text("SHOW server_version"))
    return found


def rss_mb(pid: int) -> float | None:
    """A live process's resident memory (VmRSS), in MB."""
    value = _first(f"/proc/{pid}/status", "VmRSS")
    return round(int(value.split()[0]) / 1024, 1) if value else None
