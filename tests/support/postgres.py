"""The PostgreSQL server the tests use, in one place.

``make test`` makes sure a server with PostGIS is running (``scripts/services.py``)
and exports its connection string as ``HONUA_TEST_PG`` when it is not the machine's
default one (a throwaway cluster on its own port). Tests that need PostgreSQL are a
required part of the suite: when it cannot be reached they fail saying so, never skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

DEFAULT = "host=127.0.0.1 port=5432 user=postgres"
APP_ROLE = "honua_app"
"""An ordinary role (not superuser, not BYPASSRLS) that the server connects as, so that
PostgreSQL's row-level security binds it, as in a real deployment."""


def server() -> str:
    """The libpq connection string of the test server (no database name)."""
    return os.environ.get("HONUA_TEST_PG") or DEFAULT


def url(database: str, *, user: str | None = None) -> str:
    """A SQLAlchemy URL for ``database`` on the test server (as ``user``: default the
    server's superuser)."""
    params = dict(part.split("=", 1) for part in server().split())
    host, port = params.get("host", "127.0.0.1"), params.get("port", "5432")
    user = user or params.get("user", "postgres")
    return f"postgresql+psycopg://{user}@{host}:{port}/{database}"


def app_role() -> str:
    """``APP_ROLE``, created when missing (the test servers trust local connections, so it
    needs no password)."""
    with connect(autocommit=True) as admin:
        try:
            admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
                          "NOCREATEROLE")
        except psycopg.errors.DuplicateObject:
            pass  # made by an earlier session (or a concurrent one)
        except psycopg.errors.UniqueViolation:
            pass  # two sessions creating it at the same moment
    return APP_ROLE


def connect(database: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
    """A connection to ``database``; fails the test (never skips) when the server is down."""
    try:
        return psycopg.connect(f"{server()} dbname={database}", connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required by this test but cannot be reached with "
                    f"'{server()}' ({str(exc).strip()}); `make test` starts it", pytrace=False)


@contextmanager
def fresh_database(prefix: str = "honua_test", *, postgis: bool = False,
                   owner: str | None = None) -> Iterator[str]:
    """A new, uniquely named database (with PostGIS if asked; owned by ``owner`` if given),
    dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with connect(autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
    try:
        if postgis:
            with connect(name, autocommit=True) as db:
                enable_postgis(db)
        yield name
    finally:
        with connect(autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def enable_postgis(connection: psycopg.Connection[Any]) -> None:
    try:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        pytest.fail(f"PostGIS is required by this test but the extension cannot be created "
                    f"({str(exc).strip()}); `make test` installs it", pytrace=False)


def shared_postgis(database: str) -> psycopg.Connection[Any]:
    """A connection to the long-lived PostGIS database ``database`` (created when missing),
    for read-only reference figures shared by many tests."""
    with connect(autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                         (database,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{database}"')
    connection = connect(database, autocommit=True)
    enable_postgis(connection)
    return connection
