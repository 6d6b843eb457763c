"""Master key rotation: data keys are re-wrapped, contents never re-encrypted."""

from __future__ import annotations

import pytest

from api.contents.crypto import ContentIntegrityError, new_key
from api.contents.service import Contents
from api.contents.store import LocalContentStore
from tests import factories


async def test_rotation_rewraps_data_keys_and_contents_stay_readable(database, settings) -> None:
    store = LocalContentStore(settings.resolved_content_dir)
    old, new = new_key(), new_key()
    patient = await factories.make_patient(database)
    sealed = await Contents(database, store, old).seal(patient.person_id, b"before the rotation")
    before = store._path(sealed.blob_key).read_bytes()

    with pytest.raises(ContentIntegrityError):  # the new key alone does not know this space's key yet
        await Contents(database, store, new).open(patient.person_id, sealed.blob_key, sealed.sha256)
    rotating = Contents(database, store, new, previous_key=old)
    assert await rotating.open(patient.person_id, sealed.blob_key, sealed.sha256) == b"before the rotation"
    assert await rotating.rewrap() >= 1
    after = Contents(database, store, new)
    assert await after.open(patient.person_id, sealed.blob_key, sealed.sha256) == b"before the rotation"
    assert store._path(sealed.blob_key).read_bytes() == before  # the blob was not touched
    with pytest.raises(ContentIntegrityError):
        await Contents(database, store, old).open(patient.person_id, sealed.blob_key, sealed.sha256)


def test_rewrap_needs_the_previous_key(tmp_path, monkeypatch, capsys) -> None:
    from api.cli import main

    monkeypatch.setenv("ESPACE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("ESPACE_PREVIOUS_CONTENT_MASTER_KEY", raising=False)
    assert main(["keys", "rewrap"]) == 2
    assert "ESPACE_PREVIOUS_CONTENT_MASTER_KEY" in capsys.readouterr().err
