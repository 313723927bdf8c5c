"""What only the SQL job store does: sharing a database file, SQLite set-up, URLs, errors."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from honua.core.context import MessageLevel
from honua.core.jobs import Job, JobEvent, JobStatus, Message
from honua.errors import Unavailable
from honua.store.jobs_sql import SqlJobStore
from honua.store.sql_engine import parse_url

MakeJob = Callable[..., Job]
RunTogether = Callable[[int, Callable[[int], Any]], list[Any]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "honua.db"


@pytest.fixture
def open_store(db_path: Path) -> Iterator[Callable[[], SqlJobStore]]:
    """Opens SQLite stores on one file, as separate server processes would; closes them all."""
    opened: list[SqlJobStore] = []

    def open_one() -> SqlJobStore:
        opened.append(SqlJobStore(f"sqlite:///{db_path}"))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


def test_sql_job_store_instances_on_one_file_see_each_others_writes(
        open_store: Callable[[], SqlJobStore], make_job: MakeJob, t0: dt.datetime) -> None:
    """A job created, changed and annotated through one store is seen through the other."""
    one, two = open_store(), open_store()
    job = make_job(status=JobStatus.RUNNING)
    one.create(job)
    assert two.get(job.id) == job
    done = job.apply(JobEvent.SUCCEED, t0)
    assert two.update(done, expected=JobStatus.RUNNING)
    two.add_messages(job.id, [Message(t0, MessageLevel.INFO, "done")])
    assert one.get(job.id) == done
    assert [m.text for m in one.messages(job.id)] == ["done"]
    one.delete(job.id)
    assert two.list() == ([], 0)


def test_sql_job_store_instances_on_one_file_share_the_queue(
        open_store: Callable[[], SqlJobStore], make_job: MakeJob, t0: dt.datetime,
        run_together: RunTogether) -> None:
    """Two stores claiming from one file at once claim every job exactly once between them."""
    stores = [open_store(), open_store()]
    jobs = [make_job(status=JobStatus.SUBMITTED) for _ in range(20)]
    for job in jobs:
        stores[0].create(job)

    def claim_all(i: int) -> list[str]:
        store, mine = stores[i % 2], []
        while (job := store.claim_next(t0)) is not None:
            mine.append(job.id)
        return mine

    claimed = [job_id for ids in run_together(4, claim_all) for job_id in ids]
    assert Counter(claimed) == Counter(job.id for job in jobs)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sql_job_store_works_in_a_forked_child(open_store: Callable[[], SqlJobStore],
                                               make_job: MakeJob) -> None:
    """A forked front process opens its own connections, and the parent's keep working."""
    store = open_store()
    store.create(make_job())  # the pool now holds a connection the child must not use
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            store.create(make_job())
            os._exit(0 if store.list()[1] == 2 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.list()[1] == 2


def test_sql_job_store_keeps_jobs_after_reopening(open_store: Callable[[], SqlJobStore],
                                                  make_job: MakeJob) -> None:
    """Jobs survive closing the store (a server restart)."""
    first = open_store()
    job = make_job()
    first.create(job)
    first.close()
    assert open_store().get(job.id) == job


def test_sql_job_store_creates_missing_data_folder(open_store: Callable[[], SqlJobStore],
                                                   db_path: Path) -> None:
    """The SQLite file's folder is made when it does not exist yet."""
    assert not db_path.parent.exists()
    open_store()
    assert db_path.is_file()


def test_sql_job_store_sqlite_runs_in_wal_mode(open_store: Callable[[], SqlJobStore],
                                               db_path: Path) -> None:
    """The database file is switched to write-ahead logging, so readers never block writers."""
    open_store()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sql_job_store_unusable_data_folder_raises_unavailable(tmp_path: Path) -> None:
    """A data folder that cannot be made is reported as unavailable, with the cause kept."""
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(Unavailable, match="cannot create the job store's folder") as caught:
        SqlJobStore(f"sqlite:///{tmp_path / 'file' / 'honua.db'}")
    assert isinstance(caught.value.__cause__, OSError)


def test_sql_job_store_unreachable_postgres_raises_unavailable() -> None:
    """A database server that refuses connections is unavailable, not a crash."""
    with pytest.raises(Unavailable, match="job store is unavailable") as caught:
        SqlJobStore("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    assert isinstance(caught.value.__cause__, sa_exc.OperationalError)


def test_sql_job_store_database_errors_become_unavailable(
        open_store: Callable[[], SqlJobStore], db_path: Path) -> None:
    """A driver error during a call is translated where it enters, keeping the original."""
    store = open_store()
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TABLE honua_jobs")
    with pytest.raises(Unavailable, match="could not read job x") as caught:
        store.get("x")
    assert isinstance(caught.value.__cause__, sa_exc.OperationalError)


def test_sql_job_store_repr_hides_password(postgres_url: str) -> None:
    """The store's repr, which ends up in logs, never shows the database password."""
    store = SqlJobStore(postgres_url.replace("postgres@", "postgres:secret@"))
    try:
        assert "secret" not in repr(store)
        assert "postgres:***@127.0.0.1" in repr(store)
    finally:
        store.close()


@pytest.mark.parametrize("url, driver", [
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ("sqlite:////tmp/honua.db", "sqlite"),
])
def test_parse_url_points_postgresql_at_psycopg(url: str, driver: str) -> None:
    """PostgreSQL URLs as users write them use the psycopg 3 driver Honua installs."""
    assert parse_url(url).drivername == driver


@pytest.mark.parametrize("url, problem", [
    ("mysql://u:secret@h/db", "SQLite or PostgreSQL"),
    ("sqlite://", "in-memory"),
    ("sqlite:///:memory:", "in-memory"),
    ("not a url", "not a database URL"),
])
def test_parse_url_refuses_unusable_urls(url: str, problem: str) -> None:
    """What the job store cannot use is refused with a reason, never echoing a password."""
    with pytest.raises(ValueError, match=problem) as caught:
        parse_url(url)
    assert "secret" not in str(caught.value)
