"""The content store interface and its local-folder implementation (the S3 one is
in `api.contents.s3`; `api.contents.service.contents_for` picks one from the settings).

No other code knows where bytes live: services hand a key and bytes in, and
get bytes back; a missing blob is a FileNotFoundError whatever the store.
Local writes are atomic (temporary file, fsync, rename), so a crash leaves a
whole blob or none.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[0-9a-f]{32}/[0-9a-f]{64}$")


def checked_key(key: str) -> str:
    """`key` if it is a content key (<space hex>/<blob hex>), else ValueError: every store
    refuses the same keys, so none can be tricked into a path or an object of its choosing."""
    # fullmatch: `$` alone would let a trailing newline through.
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"not a content key: {key!r}")
    return key


def is_content_key(name: str) -> bool:
    return bool(_KEY.fullmatch(name))


class ContentStore(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def older_than(self, seconds: float) -> list[str]:
        """Keys of blobs written more than `seconds` ago (for garbage collection)."""
        ...

    async def sweep_partial_writes(self, seconds: float) -> int:
        """Remove what writes cut short (a killed process) left more than `seconds` ago."""
        ...


class LocalContentStore:
    """Blobs as files under a folder: <space>/<digest>."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

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

    async def sweep_partial_writes(self, seconds: float) -> int:
        return await asyncio.to_thread(self._sweep_partial_writes, seconds)

    def _sweep_partial_writes(self, seconds: float) -> int:
        """The temporary files of writes killed before their rename (`_write`)."""
        if not self.root.exists():
            return 0
        limit = time.time() - seconds
        removed = 0
        for path in self.root.glob("*/.*.tmp"):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _older_than(self, seconds: float) -> list[str]:
        if not self.root.exists():
            return []
        limit = time.time() - seconds
        return [
            f"{path.parent.name}/{path.name}"
            for path in self.root.glob("*/*")
            if path.is_file()
            and is_content_key(f"{path.parent.name}/{path.name}")
            and path.stat().st_mtime < limit
        ]
