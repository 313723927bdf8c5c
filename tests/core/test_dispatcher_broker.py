"""The dispatcher in Celery mode (a broker set): queued jobs are published once and marked,
not run on the front; a job re-queued after its worker died is published again; a cancel
also revokes. The broker here records what it is told (the real one: tests/executors/
test_celery.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from honua.core.decorator import definition_of, process
from honua.core.fronts import Front
from honua.core.jobs import JobStatus
from honua.core.manager import JobManager
from honua.core.registry import Registry
from honua.executors.inline import InlineExecutor
from honua.settings import Settings
from honua.store import SqlJobStore
from honua.store.jobs_sql import BROKER
from honua.store.memory import MemoryArtifactStore


@process("twice", title="Twice", category="Test")
def twice(ctx, value: float = 1.0) -> float:
    return 2 * value


class RecordingBroker:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, float]] = []
        self.revoked: list[str] = []

    def publish(self, job_id, resource_class, limits) -> None:
        self.published.append((job_id, resource_class, limits.timeout_seconds))

    def revoke(self, job_id) -> None:
        self.revoked.append(job_id)

    def close(self) -> None:
        pass


@pytest.fixture
def manager(tmp_path):
    registry = Registry([definition_of(twice)])
    store = SqlJobStore(f"sqlite:///{tmp_path / 'honua.db'}")
    settings = Settings(data_dir=tmp_path, job_timeout_seconds=123.0, max_attempts=3)
    m = JobManager(registry, store, MemoryArtifactStore(), InlineExecutor(registry, threads=1),
                   settings)
    m.dispatcher.broker = RecordingBroker()
    m.start(dispatch=False)  # rounds driven by the test
    yield m
    m.stop()
    store.close()


def test_a_queued_job_is_published_once_and_not_run_on_the_front(manager):
    job = manager.submit("twice", {"value": 2})
    assert manager.dispatch_once() == 1
    assert manager.dispatcher.broker.published == [(job.id, "cpu-burst", 123.0)]
    assert manager.store.holder(job.id) == BROKER
    assert manager.dispatch_once() == 0  # marked: not published again
    assert manager.get(job.id).status is JobStatus.SUBMITTED  # waits for a worker


def test_a_job_requeued_after_its_worker_died_is_published_again(manager):
    job = manager.submit("twice", {})
    manager.dispatch_once()
    store = manager.store
    dead = Front("worker-gone", "elsewhere", 1, manager.clock() - dt.timedelta(minutes=5))
    store.heartbeat(dead, dead.heartbeat)
    assert store.claim(job.id, manager.clock(), front=dead.id) is not None  # it ran there
    manager.dispatcher.reclaim()  # the worker's heartbeat is old: its job is re-queued
    requeued = manager.get(job.id)
    assert requeued.status is JobStatus.SUBMITTED and requeued.attempts == 1
    assert manager.dispatch_once() == 1
    assert [p[0] for p in manager.dispatcher.broker.published] == [job.id, job.id]


def test_cancel_sets_the_flag_and_revokes(manager):
    job = manager.submit("twice", {})
    manager.dispatch_once()
    assert manager.cancel(job.id).status is JobStatus.CANCELLED
    assert manager.dispatcher.broker.revoked == [job.id]
    assert manager.dispatch_once() == 0
