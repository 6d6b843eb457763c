"""The content store in an S3-compatible bucket (AWS, MinIO, Ceph, Scaleway, OVH...).

Objects are named `<prefix><space hex>/<blob hex>`, the keys of the local
store under an optional folder. A missing object is a FileNotFoundError, as a
missing file is for the local store, so callers cannot tell the stores apart.

The client is boto3's, each call run in `asyncio.to_thread` like the local
store's file operations: a boto3 client is thread-safe and bound to no event
loop, so the one built here serves uvicorn's loop and each `espace` command's
`asyncio.run` alike with nothing to open or close, where aiobotocore's client
must be entered and closed on the loop that uses it and pins botocore tightly.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from api.contents.store import checked_key, is_content_key

if TYPE_CHECKING:
    from botocore.client import BaseClient

# What S3 and the compatible servers answer for an absent object (HEAD has no body: 404).
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_SESSION_LOCK = threading.Lock()


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _session() -> boto3.session.Session:
    # Our own, not boto3's default one; reused because it caches the S3 model (0.3 s a client).
    return boto3.session.Session()


def _new_client(**options: Any) -> BaseClient:
    # A session is not thread-safe while it builds clients; the clients themselves are.
    with _SESSION_LOCK:
        return _session().client("s3", **options)


class S3ContentStore:
    """Blobs as objects of one bucket; the bucket is created and secured by operations."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        page_size: int = 1000,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 content store needs a bucket")
        if prefix and not prefix.endswith("/"):
            raise ValueError("the prefix is a folder: it ends with '/'")
        if not 1 <= page_size <= 1000:
            raise ValueError("S3 lists 1 to 1000 objects per page")
        self.bucket = bucket
        self.prefix = prefix
        self.page_size = page_size
        config = Config(
            connect_timeout=5,
            read_timeout=10,
            retries={"max_attempts": 3, "mode": "standard"},
            # As many connections as the default thread pool runs calls at once.
            max_pool_connections=32,
            # botocore >= 1.36 adds CRC checksums that several S3-compatible servers refuse;
            # AES-GCM already authenticates every blob when it is opened.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            # MinIO and Ceph serve buckets under the path unless a wildcard domain is set up.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self._client = _new_client(
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=config,
        )

    def _object(self, key: str) -> str:
        return self.prefix + checked_key(key)

    async def put(self, key: str, data: bytes) -> None:
        name = self._object(key)
        await asyncio.to_thread(self._client.put_object, Bucket=self.bucket, Key=name, Body=data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._read, self._object(key))

    def _read(self, name: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise FileNotFoundError(f"no content blob {name!r} in bucket {self.bucket!r}") from error
            raise
        with response["Body"] as body:
            return body.read()

    async def delete(self, key: str) -> None:
        # Deleting an absent object succeeds in S3, like unlink(missing_ok=True).
        name = self._object(key)
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=name)

    async def sweep_partial_writes(self, seconds: float) -> int:
        """Nothing to sweep: an object appears whole or not at all (PutObject is atomic)."""
        return 0

    async def older_than(self, seconds: float) -> list[str]:
        """Keys of the objects written more than `seconds` ago (the server's LastModified
        against this host's clock: keep the garbage collector's grace well above any skew)."""
        return await asyncio.to_thread(self._older_than, seconds)

    def _older_than(self, seconds: float) -> list[str]:
        limit = _now() - timedelta(seconds=seconds)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix, PaginationConfig={"PageSize": self.page_size}
        )
        keys = []
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                # Anything else in a shared bucket is not ours to collect.
                if is_content_key(key) and item["LastModified"] < limit:
                    keys.append(key)
        return keys
