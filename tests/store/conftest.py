"""Fixtures shared by the store tests: every store implementation, and the real PostgreSQL.

The job-store conformance suite runs each test against the in-memory store,
SQLite in a temporary folder and the test PostgreSQL server (``make test`` starts
it; ``tests/support/postgres.py``). PostgreSQL is a required part: when it cannot
be reached the tests that need it fail with a message saying so; they never skip.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from honua.core.jobs import Job
from honua.store import FilesystemArtifactStore, MemoryArtifactStore, MemoryJobStore, SqlJobStore
from honua.store.artifacts_s3 import S3ArtifactStore
from honua.types import ArtifactStore, JobStore
from tests.support import postgres
from tests.support.s3 import S3Server

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named database for this test session, dropped at the end."""
    with postgres.fresh_database() as name:
        yield postgres.url(name)


@pytest.fixture(scope="session")
def postgres_job_store(postgres_url: str) -> Iterator[SqlJobStore]:
    """One store on the session's database: opening one per test would double the run time."""
    store = SqlJobStore(postgres_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain connection to the session's database, to set up and inspect it."""
    with postgres.connect(postgres_url.rsplit("/", 1)[1], autocommit=True) as admin:
        yield admin


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def job_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    """Each job-store implementation in turn, empty."""
    if request.param == "postgresql":
        store = request.getfixturevalue("postgres_job_store")
        admin = request.getfixturevalue("postgres_admin")
        # DELETE, not TRUNCATE: on a few rows it is some fifty times quicker.
        admin.execute("DELETE FROM honua_job_messages")
        admin.execute("DELETE FROM honua_jobs")
        admin.execute("DELETE FROM honua_provenance")
        admin.execute("DELETE FROM honua_provenance_layers")
        yield store
        return
    store = (MemoryJobStore() if request.param == "memory"
             else SqlJobStore(f"sqlite:///{tmp_path / 'data' / 'honua.db'}"))
    yield store
    store.close()


@pytest.fixture(params=["memory", "filesystem", "s3"])
def artifact_store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    """Each artifact-store implementation in turn, empty (S3: a new bucket on moto)."""
    if request.param == "memory":
        return MemoryArtifactStore()
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        return S3ArtifactStore(request.getfixturevalue("s3_bucket"), "installation-a",
                               **server.options())
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


@pytest.fixture
def run_together() -> Callable[[int, Callable[[int], Any]], list[Any]]:
    """Runs ``work(i)`` in ``count`` threads released at the same moment; returns the results."""

    def run(count: int, work: Callable[[int], Any]) -> list[Any]:
        barrier = threading.Barrier(count)

        def started(i: int) -> Any:
            barrier.wait()
            return work(i)

        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(started, range(count)))

    return run
