"""The S3 content store, against a real S3-compatible server: moto's, on a free
local port, started once for this module and stopped after it. Credentials are
dummies handed through the settings; the AWS configuration files and variables
of the machine are hidden, so nothing reaches AWS."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from api.app import create_app
from api.contents import s3 as s3_module
from api.contents.s3 import S3ContentStore
from api.contents.service import contents_for, store_for
from api.contents.store import LocalContentStore
from api.dossier.models import Document
from api.graphql.ids import encode_id
from api.settings import Settings
from tests import factories
from tests.conftest import GraphQLClient

PREFIX = "espace/"


def _key() -> str:
    return f"{uuid.uuid4().hex}/{os.urandom(32).hex()}"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        nowhere = tmp_path_factory.mktemp("no-aws") / "absent"
        patch.setenv("AWS_CONFIG_FILE", str(nowhere))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
        for name in list(os.environ):
            if name.startswith("AWS_") and name not in {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}:
                patch.delenv(name)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()
            server._server.server_close()  # stop() leaves the listening socket open


@pytest.fixture(scope="module")
def raw(endpoint: str) -> Any:
    """A plain client, to look at the bucket behind the store's back."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def bucket(raw: Any) -> str:
    name = f"espace-{uuid.uuid4().hex[:12]}"
    raw.create_bucket(Bucket=name)
    return name


def _store(endpoint: str, bucket: str, **options: Any) -> S3ContentStore:
    return S3ContentStore(
        bucket,
        endpoint_url=endpoint,
        access_key_id="testing",
        secret_access_key="testing",
        prefix=PREFIX,
        **options,
    )


def _s3_settings(settings: Settings, endpoint: str, bucket: str) -> Settings:
    """The suite's settings (same var_dir: same master and signing keys), contents in S3."""
    return Settings(
        _env_file=None,
        var_dir=settings.var_dir,
        database_url=settings.resolved_database_url,
        content_store="s3",
        s3_endpoint_url=endpoint,
        s3_bucket=bucket,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        s3_prefix="espace",
    )


def _objects(raw: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in raw.list_objects_v2(Bucket=bucket).get("Contents", [])]


async def test_put_get_delete_round_trip(endpoint, raw, bucket) -> None:
    store, key = _store(endpoint, bucket), _key()
    await store.put(key, b"\x00encrypted bytes\xff")
    assert await store.get(key) == b"\x00encrypted bytes\xff"
    assert _objects(raw, bucket) == [PREFIX + key]  # the local store's key, under the prefix
    await store.put(key, b"replaced")
    assert await store.get(key) == b"replaced"
    await store.delete(key)
    assert _objects(raw, bucket) == []
    await store.delete(key)  # already gone: nothing to do, as with the local store


async def test_a_missing_blob_is_a_file_not_found_like_the_local_store(endpoint, bucket, tmp_path) -> None:
    key = _key()
    with pytest.raises(FileNotFoundError, match=key):
        await _store(endpoint, bucket).get(key)
    with pytest.raises(FileNotFoundError):
        await LocalContentStore(tmp_path).get(key)


async def test_a_missing_bucket_is_a_configuration_error_not_a_missing_blob(endpoint) -> None:
    with pytest.raises(ClientError, match="NoSuchBucket"):
        await _store(endpoint, "no-such-bucket-here").get(_key())


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../../etc/passwd",
        f"{'A' * 32}/{'0' * 64}",  # upper case
        f"{'0' * 32}/{'0' * 63}",  # a digit short
        f"{'0' * 32}/{'0' * 64}\n",  # `$` alone would let it through
        f"{'0' * 32}/{'0' * 64}/x",
        f"x/{'0' * 32}/{'0' * 64}",
    ],
)
async def test_keys_are_checked_before_any_request(endpoint, raw, bucket, key) -> None:
    store = _store(endpoint, bucket)
    for attempt in (store.put(key, b"x"), store.get(key), store.delete(key)):
        with pytest.raises(ValueError, match="not a content key"):
            await attempt
    assert _objects(raw, bucket) == []


def test_a_store_needs_a_bucket_a_folder_prefix_and_a_sane_page_size(endpoint) -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3ContentStore("", endpoint_url=endpoint)
    with pytest.raises(ValueError, match="folder"):
        S3ContentStore("b", endpoint_url=endpoint, prefix="espace")
    for page_size in (0, 1001):
        with pytest.raises(ValueError, match="1000"):
            S3ContentStore("b", endpoint_url=endpoint, page_size=page_size)


async def test_older_than_lists_every_page_and_only_content_keys(endpoint, raw, bucket, monkeypatch) -> None:
    store = _store(endpoint, bucket, page_size=2)
    keys = [_key() for _ in range(5)]
    for key in keys:
        await store.put(key, b"blob")
    raw.put_object(Bucket=bucket, Key=PREFIX + "README.txt", Body=b"not a blob")
    raw.put_object(Bucket=bucket, Key="elsewhere/" + _key(), Body=b"another application's")
    pages = []
    store._client.meta.events.register("after-call.s3.ListObjectsV2", lambda **_: pages.append(1))

    assert await store.older_than(3600) == []  # all just written
    assert len(pages) == 3  # 5 objects and a stray one, 2 per page
    assert sorted(await store.older_than(-1)) == sorted(keys)
    monkeypatch.setattr(s3_module, "_now", lambda: s3_module.datetime.now(s3_module.UTC) + timedelta(hours=2))
    assert sorted(await store.older_than(3600)) == sorted(keys)


def test_the_settings_choose_the_store(settings, endpoint, bucket) -> None:
    assert isinstance(store_for(settings), LocalContentStore)
    store = store_for(_s3_settings(settings, endpoint, bucket))
    assert isinstance(store, S3ContentStore)
    assert (store.bucket, store.prefix) == (bucket, PREFIX)


def test_without_boto3_the_s3_store_says_what_to_install(settings, endpoint, bucket, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.delitem(sys.modules, "api.contents.s3")
    with pytest.raises(RuntimeError, match=r"espace-sante\[s3\]"):
        store_for(_s3_settings(settings, endpoint, bucket))


async def test_contents_are_sealed_encrypted_in_s3_and_open_again(settings, database, endpoint, raw, bucket):
    contents = contents_for(_s3_settings(settings, endpoint, bucket), database)
    patient = await factories.make_patient(database)
    plaintext = b"Compte rendu : HbA1c 7,1 %, a revoir dans trois mois."

    sealed = await contents.seal(patient.person_id, plaintext)
    assert sealed.blob_key.startswith(patient.person_id.hex + "/")
    stored = raw.get_object(Bucket=bucket, Key=PREFIX + sealed.blob_key)["Body"].read()
    assert plaintext not in stored
    assert b"HbA1c" not in stored
    assert len(stored) > len(plaintext)  # nonce and tag around the ciphertext
    assert await contents.open(patient.person_id, sealed.blob_key, sealed.sha256) == plaintext

    await contents.remove(sealed.blob_key)
    with pytest.raises(FileNotFoundError):
        await contents.open(patient.person_id, sealed.blob_key, sealed.sha256)


async def test_a_download_reads_from_s3_and_a_vanished_blob_fails_as_locally(
    settings, database, endpoint, raw, bucket, token_for, token_of
) -> None:
    s3_settings = _s3_settings(settings, endpoint, bucket)
    app = create_app(s3_settings, database)
    patient = await factories.make_patient(database)
    record = await factories.deposit(database, app.state.contents, patient, content=b"HbA1c 6,9 %")
    token = await token_of(patient)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = await GraphQLClient(client, token_for)(
            "query($id: ID!) { node(id: $id) { ... on Document { contentUrl } } }",
            {"id": encode_id("Document", record.id)},
            token=token,
        )
        url = urlsplit(body["data"]["node"]["contentUrl"])
        link = f"{url.path}?{url.query}"
        response = await client.get(link)
        assert response.status_code == 200
        assert response.content == b"HbA1c 6,9 %"

        for key in _objects(raw, bucket):
            raw.delete_object(Bucket=bucket, Key=key)
        # As when the file is gone from the local folder: an unexpected error, no content.
        gone = await client.get(link)
        assert gone.status_code == 500
        assert b"HbA1c" not in gone.content


async def test_the_gc_command_removes_an_orphan_from_s3(
    settings, database, endpoint, raw, bucket, monkeypatch, capsys
) -> None:
    from api.cli import main

    s3_settings = _s3_settings(settings, endpoint, bucket)
    contents = contents_for(s3_settings, database)
    patient = await factories.make_patient(database)
    kept = await factories.deposit(database, contents, patient, content=b"kept")
    orphan = await contents.seal(patient.person_id, b"a deposit that never got its row")
    async with database.read() as connection:
        kept_key = await connection.scalar(select(Document.blob_key).where(Document.id == kept.id))
    assert sorted(_objects(raw, bucket)) == sorted([PREFIX + kept_key, PREFIX + orphan.blob_key])

    for name, value in {
        "ESPACE_ENV": "development",
        "ESPACE_VAR_DIR": str(settings.var_dir),
        "ESPACE_DATABASE_URL": settings.resolved_database_url,
        "ESPACE_CONTENT_STORE": "s3",
        "ESPACE_S3_ENDPOINT_URL": endpoint,
        "ESPACE_S3_BUCKET": bucket,
        "ESPACE_S3_ACCESS_KEY_ID": "testing",
        "ESPACE_S3_SECRET_ACCESS_KEY": "testing",
        "ESPACE_S3_PREFIX": PREFIX,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ESPACE_CONTENT_MASTER_KEY", raising=False)
    # Both blobs are fresh: within the hour of grace, gc keeps them.
    assert await asyncio.to_thread(main, ["store", "gc"]) == 0
    assert "0 orphan blob(s) removed" in capsys.readouterr().out
    # Two hours later, the orphan goes and the document's blob stays.
    monkeypatch.setattr(s3_module, "_now", lambda: s3_module.datetime.now(s3_module.UTC) + timedelta(hours=2))
    assert await asyncio.to_thread(main, ["store", "gc"]) == 0
    assert "1 orphan blob(s) removed" in capsys.readouterr().out
    assert _objects(raw, bucket) == [PREFIX + kept_key]
