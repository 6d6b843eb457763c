"""The migrations build exactly the tables the models declare, on this run's dialect."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from api.migrations import current_revisions, head_revisions
from api.models import Base


async def test_the_database_is_at_head(database) -> None:
    assert await current_revisions(database) == head_revisions()


async def test_models_and_migrations_agree(database) -> None:
    def diff(connection):
        # SQLite's FTS5 search table (and its shadow tables) lives outside the models on purpose.
        def include_name(name, type_, parent_names):
            # Plugins keep their migration history in tables of their own.
            if type_ == "table" and name.startswith("alembic_version_"):
                return False
            return not (type_ == "table" and name.startswith("documents_fts"))

        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        return compare_metadata(context, Base.metadata)

    async with database.read() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
