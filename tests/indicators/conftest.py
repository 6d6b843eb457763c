"""A database of its own for the indicators' hand-computed figures: the shared
one holds every other test's rows, which a count over all spaces would see."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from api.db import Database
from api.migrations import upgrade
from api.settings import Settings
from tests.conftest import TEST_DATABASE_ENV, _create_postgres_database, _drop_postgres_database


@pytest.fixture(scope="module")
async def own_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    server = os.environ.get(TEST_DATABASE_ENV)
    folder = tmp_path_factory.mktemp("indicators")
    url = await _create_postgres_database(server) if server else f"sqlite+aiosqlite:///{folder / 'ind.db'}"
    database = Database(Settings(_env_file=None, var_dir=folder, database_url=url, env="development"))
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()
        if server:
            await _drop_postgres_database(server, url)
