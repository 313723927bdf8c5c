"""Alembic's entry point for the job store's migrations.

Honua runs migrations inside a connection it already holds (its schema lock is taken in
that transaction), handed over as ``config.attributes["connection"]``. The ``alembic``
command line works too: online with ``sqlalchemy.url`` in the config, offline with ``--sql``.
Only the job store's own tables are compared and migrated: the identity and usage tables
share the database but are created by their stores.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from honua.store.schema_versions import OPTIONS
from honua.store.sql_schema import metadata


def _options() -> dict[str, Any]:
    return {"target_metadata": metadata, **OPTIONS}


def _run_online(connection: sa.Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
                      **_options())
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run_online(config.attributes["connection"])
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run_online(conn)
    engine.dispose()
