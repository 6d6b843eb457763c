"""Persisted queries, for clients on slow networks and for first-party clients that
run only what they registered.

- Automatic persisted queries (Apollo's protocol): a client sends the SHA-256 of its
  query in `extensions.persistedQuery`; on a miss (PERSISTED_QUERY_NOT_FOUND) it sends
  the hash with the text once, which is checked and kept (in memory, per process: a
  miss only costs the client one round trip).
- Registered operations: `*.graphql` files (ESPACE_OPERATIONS_DIR, the packaged
  `operations/` by default), each known by the SHA-256 of its text. They may be run
  over GET by hash alone (cacheable, never a mutation), and the clients named in
  ESPACE_REGISTERED_OPERATIONS_ONLY may run nothing else.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from pathlib import Path
from threading import Lock

from strawberry.http import GraphQLRequestData

from api.errors import ErrorCode, EspaceError

PACKAGED_OPERATIONS = Path(__file__).parent / "operations"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryError(EspaceError):
    """A persisted query request that cannot be served (HTTP 400)."""

    code = ErrorCode.BAD_REQUEST


class PersistedQueryNotFound(PersistedQueryError):
    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND
    default_message = "PersistedQueryNotFound: send the query with its hash once."


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_registered(folder: Path) -> dict[str, str]:
    """The operations of a folder (recursively), by the SHA-256 of each file's text
    without its surrounding whitespace."""
    operations = {}
    for path in sorted(folder.rglob("*.graphql")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            operations[sha256_of(text)] = text
    return operations


class PersistedQueries:
    def __init__(self, registered: dict[str, str], cache_size: int) -> None:
        self.registered = registered
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def is_registered(self, query: str | None) -> bool:
        return query is not None and sha256_of(query.strip()) in self.registered

    def resolve(self, request: GraphQLRequestData, *, over_get: bool) -> GraphQLRequestData:
        """The request with its query text: as sent, or found by its hash."""
        extension = (request.extensions or {}).get("persistedQuery")
        if extension is None:
            if over_get:
                raise PersistedQueryError("Over GET, only persisted queries: send their hash.")
            return request
        digest = _checked(extension)
        if request.query is not None:
            if over_get:
                raise PersistedQueryError("Over GET, send the hash alone; register queries over POST.")
            if sha256_of(request.query) != digest:
                raise PersistedQueryError("The hash is not the SHA-256 of the query.")
            self._keep(digest, request.query)
            return request
        text = self.registered.get(digest) or self._cached(digest)
        if text is None:
            raise PersistedQueryNotFound()
        return GraphQLRequestData(
            query=text,
            variables=request.variables,
            operation_name=request.operation_name,
            extensions=request.extensions,
            protocol=request.protocol,
        )

    def _cached(self, digest: str) -> str | None:
        with self._lock:
            text = self._cache.get(digest)
            if text is not None:
                self._cache.move_to_end(digest)
            return text

    def _keep(self, digest: str, text: str) -> None:
        if self._cache_size <= 0 or digest in self.registered:
            return
        with self._lock:
            self._cache[digest] = text
            self._cache.move_to_end(digest)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


def _checked(extension: object) -> str:
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise PersistedQueryError("Unsupported persistedQuery: use version 1 with a sha256Hash.")
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise PersistedQueryError("persistedQuery.sha256Hash must be 64 lowercase hex digits.")
    return digest
