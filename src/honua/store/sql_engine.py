"""SQLAlchemy engines for the job store, and the one place database errors enter Honua.

SQLite is shared by many threads (dispatcher, worker listeners, requests) and
possibly by several server processes. To keep concurrent writers from failing
with "database is locked" it runs in WAL mode with a generous busy timeout, and
every writing transaction starts with ``BEGIN IMMEDIATE``: a deferred
transaction that reads first and writes later can fail at once when another
writer got in between, whatever the timeout, while an immediate one waits its
turn at the start. Readers use plain ``BEGIN`` so they never block on writers.

Durability chosen (issue 11): WAL with ``synchronous = NORMAL``. A commit is atomic and
survives the server process being killed (kill -9, OOM): the WAL is in the OS page cache,
and the crash tests kill fronts and workers mid-job. What it gives up is the last
commits before a power loss or kernel crash (the WAL is fsynced at checkpoints, not at
every commit) -- never a corrupt database. ``FULL`` would fsync every commit: on this
machine's disk that caps a single writer at a few hundred commits per second, while
``NORMAL`` gives thousands (``python bench/engine.py --store``). PostgreSQL keeps its own
``synchronous_commit = on`` default (every commit on disk).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from honua.errors import Conflict, InvalidParameter, Unavailable

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "honua_write"
_DRIVER_ALIASES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
_ENGINES: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    # A forked front process (e.g. gunicorn --preload) must not share its parent's
    # database connections; close=False leaves them open for the parent.
    for engine in list(_ENGINES):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_connections_in_child)


def parse_url(url: str) -> sa.URL:
    """The URL with PostgreSQL pointed at psycopg 3 (the driver Honua installs).

    Refuses what the job store cannot use, without echoing the URL (it may hold
    a password).
    """
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValueError("the job store URL is not a database URL; use sqlite:///<path> or "
                         "postgresql+psycopg://<user>@<host>/<database>") from exc
    parsed = parsed.set(drivername=_DRIVER_ALIASES.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"the job store runs on SQLite or PostgreSQL, not "
                         f"{parsed.get_backend_name()!r}")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite job store cannot be shared between threads; "
                         "use a file (sqlite:///<path>), or MemoryJobStore in tests")
    return parsed


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` set up as the module docstring explains."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _ENGINES.add(engine)
    return engine


def writer(engine: sa.Engine) -> sa.Engine:
    """The same engine (and pool) whose transactions are writes: immediate on SQLite."""
    return engine.execution_options(**{_WRITE: True})


_SCHEMA_LOCK_KEY = 0x686F6E7561  # "honua": one process creates the tables at a time


class Database:
    """One store's database: its engine, serialised writers, and its tables created once.

    Every SQL store (jobs, identities) opens its database this way. SQLite has one
    writer at a time and its busy handler waits by sleeping (up to 100 ms a try), so a
    process's writers queue on a lock instead; on PostgreSQL, concurrent table creation
    by several front processes is serialised by an advisory lock. ``create`` makes the
    tables (default: ``metadata.create_all``; the job store migrates its schema instead,
    ``store.schema_versions``); ``prepare`` runs in the same transaction, after the tables
    exist (the job store's row security).
    """

    def __init__(self, url: str, metadata: sa.MetaData, *, what: str,
                 create: Callable[[sa.Connection], object] | None = None,
                 prepare: Callable[[sa.Connection], None] | None = None) -> None:
        self.engine = create_engine(url)
        self._writer = writer(self.engine)
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext())
        try:
            with translated(f"create the {what} tables"), self.write() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _SCHEMA_LOCK_KEY})
                (create or metadata.create_all)(conn)
                if prepare is not None:
                    prepare(conn)
        except BaseException:
            self.engine.dispose()
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A writing transaction (immediate on SQLite, one at a time in this process)."""
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    def __repr__(self) -> str:
        return repr(self.engine.url.render_as_string(hide_password=True))


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    path = Path(url.database or "")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"cannot create the job store's folder {path.parent}: "
                          f"{exc.strerror}") from exc
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)
    sa.event.listen(engine, "connect", _configure_sqlite)
    sa.event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Stop the sqlite3 module from issuing its own (deferred) BEGIN: _begin_sqlite does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _begin_sqlite(connection: sa.Connection) -> None:
    write = connection.get_execution_options().get(_WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextlib.contextmanager
def translated(action: str, *, conflict: str = "") -> Iterator[None]:
    """Turn database errors raised while doing ``action`` into Honua errors.

    The original stays attached as ``__cause__`` for the logs; the message says
    what failed in words a client can act on, without paths or SQL. ``conflict``
    explains a constraint violation, when the caller knows which one it can be.
    """
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise Conflict(conflict or f"could not {action}: it clashes with a stored record") from exc
    except sa_exc.DataError as exc:
        raise InvalidParameter(f"could not {action}: a value does not fit the job store") from exc
    except sa_exc.SQLAlchemyError as exc:
        log.warning("job store error while trying to %s: %s", action, exc)
        raise Unavailable(f"the job store is unavailable (could not {action}: "
                          f"{type(exc).__name__}); try again shortly") from exc
