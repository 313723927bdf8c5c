"""Claims by queue: the highest priority first (oldest first within it), skipping the
queues whose concurrency is used up -- the same on every job store."""

from __future__ import annotations

import datetime as dt

from honua.core.jobs import Job, JobEvent
from honua.types import JobStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LIMITS = {"long-tail": 1, "cpu-burst": 2}


def _queued(store: JobStore, job_id: str, queue: str, priority: int, minute: int) -> None:
    at = T0 + dt.timedelta(minutes=minute)
    job = Job(id=job_id, process_id="p", created=at, updated=at).apply(JobEvent.SUBMIT, at)
    store.create(job, queue=queue, priority=priority)


def test_a_higher_priority_job_is_claimed_before_older_ones(job_store):
    for i in range(20):
        _queued(job_store, f"tail-{i:02d}", "long-tail", 10, i)
    _queued(job_store, "burst", "cpu-burst", 30, 100)
    assert job_store.claim_next(T0, queues=LIMITS).id == "burst"
    assert job_store.claim_next(T0, queues=LIMITS).id == "tail-00"


def test_a_full_queue_is_skipped_and_the_others_still_run(job_store):
    for i in range(3):
        _queued(job_store, f"tail-{i}", "long-tail", 10, i)
    assert job_store.claim_next(T0, queues=LIMITS).id == "tail-0"
    assert job_store.claim_next(T0, queues=LIMITS) is None  # long-tail: 1 at a time
    _queued(job_store, "burst", "cpu-burst", 30, 10)
    assert job_store.claim_next(T0, queues=LIMITS).id == "burst"
    assert job_store.claim_next(T0).id == "tail-1"  # without limits: FIFO in its queue


def test_jobs_without_a_queue_are_claimed_oldest_first(job_store):
    _queued(job_store, "a", "", 0, 1)
    _queued(job_store, "b", "", 0, 0)
    assert [job_store.claim_next(T0, queues=LIMITS).id for _ in range(2)] == ["b", "a"]
