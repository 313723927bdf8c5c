"""Fixtures shared by the store tests: every store implementation, and the real PostgreSQL.

The job-store conformance suite runs each test against the in-memory store,
SQLite in a temporary folder and the machine's PostgreSQL. PostgreSQL is a
required part: when it cannot be reached (even after trying to start it) the
tests that need it fail with a message saying so; they never skip.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from honua.core.jobs import Job
from honua.store import FilesystemArtifactStore, MemoryArtifactStore, MemoryJobStore, SqlJobStore
from honua.types import ArtifactStore, JobStore

PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres"
T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)


def _postgres_error() -> str | None:
    try:
        psycopg.connect(f"{PG_CONNINFO} dbname=postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def _start_postgres() -> str:
    """Try to start the local cluster; returns what pg_ctlcluster said."""
    try:
        versions = sorted(os.listdir("/etc/postgresql"))
    except OSError as exc:
        return f"no /etc/postgresql ({exc.strerror})"
    if not versions:
        return "no cluster in /etc/postgresql"
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{' '.join(command)} failed: {exc}"
    return f"{' '.join(command)} exited {done.returncode}: {(done.stderr or done.stdout).strip()}"


def _require_postgres() -> None:
    error = _postgres_error()
    if error is None:
        return
    started = _start_postgres()
    deadline = time.monotonic() + 15
    while error is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        error = _postgres_error()
    if error is not None:
        pytest.fail(f"PostgreSQL is required by the store tests but is not reachable at "
                    f"127.0.0.1:5432 as user postgres ({error}); tried to start it: {started}",
                    pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named database for this test session, dropped at the end."""
    _require_postgres()
    name = f"honua_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_CONNINFO} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(f"{PG_CONNINFO} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres_tables(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_CONNINFO} dbname={name}", autocommit=True) as conn:
        # DELETE, not TRUNCATE: on a few rows it is some fifty times quicker.
        conn.execute("DELETE FROM honua_job_messages")
        conn.execute("DELETE FROM honua_jobs")


def _open_job_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> JobStore:
    if kind == "memory":
        return MemoryJobStore()
    if kind == "sqlite":
        return SqlJobStore(f"sqlite:///{tmp_path / 'data' / 'honua.db'}")
    url = request.getfixturevalue("postgres_url")
    store = SqlJobStore(url)
    _empty_postgres_tables(url)
    return store


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def job_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    """Each job-store implementation in turn, empty."""
    store = _open_job_store(request.param, request, tmp_path)
    yield store
    store.close()


@pytest.fixture(params=["memory", "filesystem"])
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    """Each artifact-store implementation in turn, empty."""
    if request.param == "memory":
        return MemoryArtifactStore()
    return FilesystemArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def t0() -> dt.datetime:
    """The time the jobs of ``make_job`` start from."""
    return T0


@pytest.fixture
def make_job() -> Callable[..., Job]:
    """Jobs with ids job-000, job-001 ... created one second apart from T0."""
    counter = itertools.count()

    def make(**changes: Any) -> Job:
        n = next(counter)
        created = T0 + dt.timedelta(seconds=n)
        fields: dict[str, Any] = {"id": f"job-{n:03d}", "process_id": "buffer",
                                  "created": created, "updated": created}
        return Job(**{**fields, **changes})

    return make
