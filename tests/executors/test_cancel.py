"""Cancelling: queued items at once, running ones cooperatively, then by force."""

from __future__ import annotations

import time

from honua.core.execution import OutcomeStatus
from honua.executors.pool import LocalPool
from tests.executors.conftest import item
from tests.executors.recorder import Recorder


def _cancel_and_time(pool: LocalPool, recorder: Recorder, job_id: str) -> float:
    """Cancel ``job_id``; seconds until its listener heard it ended."""
    began = time.monotonic()
    assert pool.cancel(job_id)
    recorder.outcome(job_id)
    return recorder.finished_at[job_id] - began


def test_cancel_cooperative_job_stops_within_a_second(shared_pool: LocalPool,
                                                      recorder: Recorder) -> None:
    """A job that watches Context.cancelled stops by itself; its worker is kept."""
    job = item("sleepy", seconds=30)
    shared_pool.submit(job, recorder)
    recorder.wait_for(job.job_id, "progress")
    pids = set(shared_pool.worker_pids())
    assert _cancel_and_time(shared_pool, recorder, job.job_id) < 1.0
    outcome = recorder.outcome(job.job_id)
    assert (outcome.status, outcome.error) == (OutcomeStatus.CANCELLED, "Job cancelled")
    assert ("message", (("info"), "cancelled, stopping")) in recorder.of(job.job_id)
    assert set(shared_pool.worker_pids()) == pids


def test_cancel_uncooperative_job_is_killed_within_a_second(shared_pool: LocalPool,
                                                            recorder: Recorder) -> None:
    """A job that ignores the flag is killed after the grace time; a new worker takes over."""
    job = item("spin")
    shared_pool.submit(job, recorder)
    recorder.wait_started(job.job_id)
    pids = set(shared_pool.worker_pids())
    took = _cancel_and_time(shared_pool, recorder, job.job_id)
    assert shared_pool.settings.cancel_grace_seconds <= took < 1.0
    assert recorder.outcome(job.job_id).status is OutcomeStatus.CANCELLED
    assert pids - set(shared_pool.worker_pids())
    after = item("echo", text="next")
    shared_pool.submit(after, recorder)
    assert recorder.outcome(after.job_id).outputs == {"result": "next"}
    assert shared_pool.wait_ready(timeout=30)


def test_cancel_queued_item_ends_it_before_it_starts(make_pool, recorder: Recorder) -> None:
    """An item still waiting is removed from the queue and never starts."""
    pool = make_pool(workers=1)
    running, queued = item("sleepy", seconds=30), item("echo", text="never")
    pool.submit(running, recorder)
    pool.submit(queued, recorder)
    recorder.wait_started(running.job_id)
    assert _cancel_and_time(pool, recorder, queued.job_id) < 0.1
    outcome = recorder.outcome(queued.job_id)
    assert (outcome.status, outcome.error) == (OutcomeStatus.CANCELLED,
                                               "Job cancelled before it started")
    assert recorder.of(queued.job_id, "start") == []
    assert pool.cancel(running.job_id)
    assert recorder.outcome(running.job_id).status is OutcomeStatus.CANCELLED


def test_cancel_unknown_or_finished_job_returns_false(shared_pool: LocalPool,
                                                      recorder: Recorder) -> None:
    """The pool only cancels what it is running or holding."""
    done = item("echo", text="done")
    shared_pool.submit(done, recorder)
    recorder.outcome(done.job_id)
    assert not shared_pool.cancel(done.job_id)
    assert not shared_pool.cancel("no-such-job")


def test_cancel_twice_finishes_once(shared_pool: LocalPool, recorder: Recorder) -> None:
    """Repeated cancels are harmless: the listener hears of the end once."""
    job = item("sleepy", seconds=30)
    shared_pool.submit(job, recorder)
    recorder.wait_for(job.job_id, "progress")
    assert shared_pool.cancel(job.job_id) and shared_pool.cancel(job.job_id)
    assert recorder.outcome(job.job_id).status is OutcomeStatus.CANCELLED
    assert len(recorder.finishes[job.job_id]) == 1
