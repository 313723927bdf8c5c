"""Connection pools to the PostgreSQL databases of PostGIS layers, one per URL.

The catalog and the tier-2 executor share them, so the pool size is the bound
on concurrent database work of one server process. A pool opens lazily (a
database that is down at start does not stop the server) and reports itself
unavailable with ``PoolUnavailable`` when no connection can be had in time:
the tier planner then falls back to tier 1, it never waits forever.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from honua.errors import Unavailable

__all__ = ["PoolUnavailable", "Pools", "read_only"]

log = logging.getLogger(__name__)


class PoolUnavailable(Unavailable):
    """No connection to the layer's database (down, refused, or every connection busy)."""


def _libpq(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://``)."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgresql", "postgres")):
        raise ValueError("a PostGIS layer's url must start with postgresql://")
    return f"postgresql://{rest}"


class Pools:
    """Lazily opened ``psycopg_pool.ConnectionPool`` per database URL."""

    def __init__(self, *, size: int = 4, timeout: float = 5.0) -> None:
        self.size = max(1, size)
        self.timeout = timeout
        self._pools: dict[str, ConnectionPool[Any]] = {}
        self._lock = threading.Lock()

    def pool(self, url: str) -> ConnectionPool[Any]:
        conninfo = _libpq(url)
        with self._lock:
            pool = self._pools.get(conninfo)
            if pool is None:
                pool = ConnectionPool(conninfo, min_size=0, max_size=self.size,
                                      timeout=self.timeout, open=True,
                                      kwargs={"connect_timeout": max(1, int(self.timeout))},
                                      name="honua-postgis")
                self._pools[conninfo] = pool
            return pool

    @contextlib.contextmanager
    def connection(self, url: str, timeout: float | None = None
                   ) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; ``PoolUnavailable`` if none comes within ``timeout``."""
        pool = self.pool(url)
        try:
            connection = pool.getconn(timeout=self.timeout if timeout is None else timeout)
        except PoolTimeout as exc:
            raise PoolUnavailable(f"the layer's database gave no connection in time ({exc})"
                                  ) from None
        except psycopg.OperationalError as exc:
            raise PoolUnavailable(f"the layer's database cannot be reached: {exc}") from None
        try:
            yield connection
        finally:
            pool.putconn(connection)  # rolled back (or closed if broken) by the pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            with contextlib.suppress(Exception):
                pool.close(timeout=2)


def read_only(connection: psycopg.Connection[Any], timeout_seconds: float) -> None:
    """Make the current transaction read-only, under a statement timeout: configured SQL
    and filters can read, never write, and never run for ever."""
    connection.execute("SET TRANSACTION READ ONLY")
    set_timeout(connection, timeout_seconds)


def set_timeout(connection: psycopg.Connection[Any], timeout_seconds: float) -> None:
    milliseconds = max(1, int(timeout_seconds * 1000)) if timeout_seconds > 0 else 0
    connection.execute("SELECT set_config('statement_timeout', %s, true)", (str(milliseconds),))
