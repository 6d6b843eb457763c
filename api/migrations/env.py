"""Alembic environment: migrations always run on a connection handed in by
`api.migrations.upgrade`, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic import context

from api.models import Base

target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `espace migrate`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    # SQLite alters tables by copying them; batch mode does it for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The core's history, or a plugin's in its own table.
    version_table=context.config.attributes.get("version_table", "alembic_version"),
)
with context.begin_transaction():
    context.run_migrations()
