"""The job store's schema version: create, stamp, upgrade (Alembic, ``store/migrations``).

What happens when a store opens its database (``ensure``), under the schema lock:

- an empty database is migrated from nothing to the newest revision (which stamps it);
- a database made by a Honua from before migrations (its tables there, no version table)
  runs the initial revision, which only adds missing tables, and so is stamped with it;
- a database stamped with an older revision is upgraded when ``auto_migrate`` says so --
  always on SQLite, where the database is the embedded store of this one installation;
  on PostgreSQL, which many fronts and workers of possibly different versions share, only
  with ``auto_migrate = true``, else start-up stops with an error saying to run
  ``honua migrate``;
- a database stamped with a revision this Honua does not know (made by a newer one) is
  refused: an older Honua must not write rows a newer schema does not expect.

The version table is ``honua_alembic_version``, so that an application keeping its own
Alembic history in the same database is not disturbed.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from honua.errors import Unavailable
from honua.store.sql_engine import create_engine, translated
from honua.store.sql_schema import metadata

__all__ = ["INITIAL", "OPTIONS", "VERSION_TABLE", "Versions", "config", "ensure", "head", "script_sql",
           "ours", "status", "versions"]

VERSION_TABLE = "honua_alembic_version"
INITIAL = "0001_initial"
"""The revision equal to the schema Honua created before migrations."""
MIGRATIONS = Path(__file__).with_name("migrations")


def ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: only the job store's tables (identities and usage share the database
    but are made by their own stores)."""
    return name in metadata.tables if type_ == "table" else True


OPTIONS: dict[str, Any] = {"version_table": VERSION_TABLE, "include_object": ours,
                           "compare_type": True}
"""What every Alembic context of the job store is configured with (``migrations/env.py``)."""


def config(connection: sa.Connection | None = None, *, url: str = "",
           location: Path = MIGRATIONS, output: io.StringIO | None = None) -> Config:
    """An Alembic configuration of the job store's migrations (``location``: another folder
    of revisions, for tests), running on ``connection`` when given."""
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(location))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script(location: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(config(location=location))


def head(location: Path = MIGRATIONS) -> str:
    """The newest revision this Honua knows."""
    revision = _script(location).get_current_head()
    assert revision is not None, "the job store has no migrations"
    return revision


@dataclass(frozen=True)
class Versions:
    """Where a database's schema stands."""

    current: str | None
    """Its stamped revision; None when it has none."""
    target: str
    legacy: bool
    """Tables of the job store are there but no stamp: made by a Honua before migrations."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.target


def versions(connection: sa.Connection, location: Path = MIGRATIONS) -> Versions:
    """The current and target revisions of the database ``connection`` is on."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    current = context.get_current_revision()
    legacy = current is None and bool(
        set(sa.inspect(connection).get_table_names()) & set(metadata.tables))
    return Versions(current, head(location), legacy)


def ensure(connection: sa.Connection, *, auto_migrate: bool,
           location: Path = MIGRATIONS) -> Versions:
    """Bring the schema to the target revision as the module docstring says; returns where
    it stood before. Runs in the caller's transaction (which holds the schema lock)."""
    found = versions(connection, location)
    if found.up_to_date:
        return found
    known = {script.revision for script in _script(location).walk_revisions()}
    if found.current is not None and found.current not in known:
        raise Unavailable(f"the job store's schema is at revision {found.current}, which this "
                          f"Honua does not know (it knows up to {found.target}): the database "
                          f"was migrated by a newer Honua; run that version")
    stamped = found.current is not None
    sqlite = connection.dialect.name == "sqlite"
    if stamped and not (sqlite or auto_migrate):
        raise Unavailable(f"the job store's schema is at revision {found.current} and this "
                          f"Honua needs {found.target}: run `honua migrate` (or set "
                          f"auto_migrate = true to upgrade at start)")
    command.upgrade(config(connection, location=location), found.target)
    return found


def status(url: str, location: Path = MIGRATIONS) -> Versions:
    """Where the job store at ``url`` stands, read without changing anything."""
    engine = create_engine(url)
    try:
        with translated("read the job store's schema version"), engine.connect() as conn:
            return versions(conn, location)
    finally:
        engine.dispose()


def script_sql(url: str, found: Versions, location: Path = MIGRATIONS) -> str:
    """The SQL that takes the database of ``url``, standing at ``found``, to the target, as
    text for a database administrator to review and run (nothing is executed)."""
    output = io.StringIO()
    cfg = config(url=url, location=location, output=output)
    start = found.current
    if found.legacy:  # its tables are those of the initial revision: only record that
        start = INITIAL
        command.stamp(cfg, INITIAL, sql=True)
    if start != found.target:
        command.upgrade(cfg, f"{start}:{found.target}" if start else found.target, sql=True)
    return output.getvalue()
