"""Alembic migrations of the core schema, run from code (`espace migrate`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api import plugins
from api.db import Database

MIGRATIONS_DIR = Path(__file__).parent
CORE = "core"


@dataclass(frozen=True, slots=True)
class Branch:
    """One line of migrations: the core's, or an enabled plugin's with its own
    version table (so disabling a plugin leaves the others' history alone)."""

    name: str
    versions: Path
    version_table: str


def branches() -> list[Branch]:
    """The core first (plugins' tables stand on its tables), then each enabled plugin."""
    found = [Branch(CORE, MIGRATIONS_DIR / "versions", "alembic_version")]
    for plugin in plugins.active().enabled:
        if plugin.migrations is not None:
            found.append(Branch(plugin.name, plugin.migrations, f"alembic_version_{plugin.name}"))
    return found


def alembic_config(connection: Connection | None = None, branch: Branch | None = None) -> Config:
    branch = branch or branches()[0]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(branch.versions))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = branch.version_table
    return config


def head_revisions() -> dict[str, set[str]]:
    """The latest revision(s) of each branch."""
    return {
        branch.name: set(ScriptDirectory.from_config(alembic_config(branch=branch)).get_heads())
        for branch in branches()
    }


async def upgrade(database: Database, revision: str = "heads") -> None:
    """Bring the core to `revision` (all heads by default), then every enabled
    plugin to its latest, in one transaction."""

    def _run(connection: Connection) -> None:
        for branch in branches():
            command.upgrade(alembic_config(connection, branch), revision if branch.name == CORE else "heads")

    if not database.is_sqlite:
        # The service's timeouts guard requests; a migration rewriting a table takes the
        # time it takes: its own connection, without them.
        engine = create_async_engine(database.engine.url, poolclass=NullPool)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_run)
        finally:
            await engine.dispose()
        return
    async with database.engine.begin() as connection:
        await connection.run_sync(_run)


async def current_revisions(database: Database) -> dict[str, set[str]]:
    def _read(connection: Connection) -> dict[str, set[str]]:
        return {
            branch.name: set(
                MigrationContext.configure(
                    connection, opts={"version_table": branch.version_table}
                ).get_current_heads()
            )
            for branch in branches()
        }

    async with database.read() as connection:
        return await connection.run_sync(_read)


async def is_at_head(database: Database) -> bool:
    return await current_revisions(database) == head_revisions()
