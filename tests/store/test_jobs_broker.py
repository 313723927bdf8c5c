"""The SQL job store's hand-over to a broker (``executor = "celery"``): a front publishes
what ``unpublished`` lists and marks it; a worker's ``claim`` is the compare-and-set that
turns a duplicate message into a no-op; a re-queued job is listed again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from honua.core.fronts import Front
from honua.core.jobs import Job, JobEvent, JobStatus
from honua.store import SqlJobStore
from honua.store.jobs_sql import BROKER

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlJobStore]:
    if request.param == "postgresql":
        shared = request.getfixturevalue("postgres_job_store")  # creates the tables
        request.getfixturevalue("postgres_admin").execute("DELETE FROM honua_jobs")
        yield shared
        return
    sqlite = SqlJobStore(f"sqlite:///{tmp_path / 'honua.db'}")
    yield sqlite
    sqlite.close()


def _queued(store: SqlJobStore, job_id: str, minute: int = 0) -> None:
    at = T0 + dt.timedelta(minutes=minute)
    store.create(Job(id=job_id, process_id="p", created=at, updated=at).apply(JobEvent.SUBMIT, at),
                 queue="cpu-burst", priority=30)


def test_a_published_job_is_listed_once_and_claimed_once(store):
    _queued(store, "a", 1)
    _queued(store, "b", 2)
    assert [job.id for job in store.unpublished()] == ["a", "b"]
    assert store.mark_published("a")
    assert [job.id for job in store.unpublished()] == ["b"]
    assert store.holder("a") == BROKER
    claimed = store.claim("a", T0, front="worker-1")
    assert claimed is not None and claimed.status is JobStatus.RUNNING and claimed.attempts == 1
    assert store.holder("a") == "worker-1"
    assert store.claim("a", T0, front="worker-2") is None  # the duplicate message
    assert store.holder("a") == "worker-1"


def test_a_job_claimed_before_its_mark_stays_with_its_worker(store):
    _queued(store, "a")
    assert store.claim("a", T0, front="worker-1") is not None  # the worker was quicker
    assert not store.mark_published("a")
    assert store.holder("a") == "worker-1"
    assert store.unpublished() == []


def test_a_requeued_job_is_published_again(store):
    _queued(store, "a")
    store.mark_published("a")
    running = store.claim("a", T0, front="worker-1")
    assert running is not None
    assert [job.id for job in store.orphans(["front-1"])] == ["a"]  # worker-1 died
    store.update(running.apply(JobEvent.REQUEUE, T0), expected=JobStatus.RUNNING)
    assert [job.id for job in store.unpublished()] == ["a"]


def test_cancelled_and_unknown_jobs_are_not_claimed(store):
    _queued(store, "a")
    job = store.get("a")
    store.update(job.apply(JobEvent.CANCEL, T0), expected=job.status)
    assert store.claim("a", T0, front="worker-1") is None
    assert store.claim("nope", T0, front="worker-1") is None
    assert store.holder("nope") is None
    assert store.unpublished() == []


def test_a_worker_is_a_front_row(store):
    store.heartbeat(Front("worker-1", "host", 123, T0), T0)
    assert "worker-1" in {front.id for front in store.fronts()}
    store.forget_fronts(["worker-1"])
