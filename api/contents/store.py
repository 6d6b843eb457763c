"""The content store interface and its local-folder implementation.

No other code knows where bytes live: services hand a key and bytes in, and
get bytes back. Writes are atomic (temporary file, fsync, rename), so a crash
leaves a whole blob or none.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{64}$")


class ContentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def older_than(self, seconds: float) -> list[str]:
        """Keys of blobs written more than `seconds` ago (for garbage collection)."""
        ...


class LocalContentStore:
    """Blobs as files under a folder: <space>/<digest>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a content key: {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def older_than(self, seconds: float) -> list[str]:
        return await asyncio.to_thread(self._older_than, seconds)

    def _older_than(self, seconds: float) -> list[str]:
        if not self.root.exists():
            return []
        limit = time.time() - seconds
        return [
            f"{path.parent.name}/{path.name}"
            for path in self.root.glob("*/*")
            if path.is_file()
            and _KEY.match(f"{path.parent.name}/{path.name}")
            and path.stat().st_mtime < limit
        ]
