"""The pool's life: start, free slots, priority, recycling, replacement, stop."""

from __future__ import annotations

import os
import select
import signal
import time

import pytest

from honua.core.execution import OutcomeStatus
from honua.errors import Unavailable
from honua.executors.pool import LocalPool
from tests.executors.conftest import item, pool_settings
from tests.executors.recorder import Recorder


def test_start_leaves_every_worker_ready(make_pool) -> None:
    """After start() each slot has a live worker process of its own session."""
    pool = make_pool(workers=2)
    pids = pool.worker_pids()
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert all(os.getsid(pid) == pid for pid in pids)
    assert pool.free_slots() == 2


def test_free_slots_is_idle_workers_minus_queued_items(make_pool, recorder: Recorder) -> None:
    """Busy workers and waiting items take slots away; the count never goes negative."""
    pool = make_pool(workers=1)
    jobs = [item("sleepy", seconds=30) for _ in range(3)]
    pool.submit(jobs[0], recorder)
    recorder.wait_started(jobs[0].job_id)
    assert pool.free_slots() == 0
    for job in jobs[1:]:
        pool.submit(job, recorder)
    assert pool.free_slots() == 0
    for job in jobs:
        pool.cancel(job.job_id)
    for job in jobs:
        recorder.outcome(job.job_id)
    assert pool.free_slots() == 1


def test_priority_items_jump_the_queue(make_pool, recorder: Recorder) -> None:
    """Synchronous (priority) items start before normal items queued earlier."""
    pool = make_pool(workers=1)
    busy = item("sleepy", seconds=0.3)
    pool.submit(busy, recorder)
    recorder.wait_started(busy.job_id)
    first, second, urgent = item("echo", text="1"), item("echo", text="2"), item("echo", text="!")
    pool.submit(first, recorder)
    pool.submit(second, recorder)
    pool.submit(urgent, recorder, priority=True)
    recorder.outcome(second.job_id)
    assert recorder.start_order() == [busy.job_id, urgent.job_id, first.job_id, second.job_id]


def test_worker_is_recycled_after_max_jobs(make_pool, recorder: Recorder) -> None:
    """With worker_max_jobs=2 the third job runs in a new worker process."""
    pool = make_pool(workers=1, worker_max_jobs=2)
    pids = []
    for _ in range(3):
        job = item("identify")
        pool.submit(job, recorder)
        pids.append(recorder.outcome(job.job_id).outputs["pid"])
    assert pids[0] == pids[1] != pids[2]


def test_idle_worker_that_dies_is_replaced(make_pool, recorder: Recorder) -> None:
    """A worker killed while idle is replaced, and the next job runs normally."""
    pool = make_pool(workers=1)
    (pid,) = pool.worker_pids()
    exited = os.pidfd_open(pid)
    os.kill(pid, signal.SIGKILL)
    assert select.select([exited], [], [], 10)[0]  # dead before the job is sent
    os.close(exited)
    job = item("identify")
    pool.submit(job, recorder)
    outcome = recorder.outcome(job.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED and outcome.outputs["pid"] != pid


def test_worker_killed_from_outside_during_a_job_fails_it(make_pool, recorder: Recorder) -> None:
    """A SIGKILL the pool did not send (the OOM killer) fails the job and says so."""
    pool = make_pool(workers=1)
    (pid,) = pool.worker_pids()
    job = item("sleepy", seconds=30)
    pool.submit(job, recorder)
    recorder.wait_for(job.job_id, "progress")
    os.kill(pid, signal.SIGKILL)
    outcome = recorder.outcome(job.job_id)
    assert outcome.status is OutcomeStatus.FAILED
    assert "killed (SIGKILL)" in outcome.error and "out of memory" in outcome.error


def test_stop_ends_running_and_queued_items(make_pool, recorder: Recorder) -> None:
    """stop() kills the workers at once; every unfinished item ends cancelled, once."""
    pool = make_pool(workers=1)
    (pid,) = pool.worker_pids()
    running, queued = item("sleepy", seconds=30), [item("echo", text="x") for _ in range(2)]
    pool.submit(running, recorder)
    for job in queued:
        pool.submit(job, recorder)
    recorder.wait_started(running.job_id)
    began = time.monotonic()
    pool.stop()
    assert time.monotonic() - began < 2
    for job in (running, *queued):
        outcome = recorder.outcome(job.job_id, timeout=0)
        assert outcome.status is OutcomeStatus.CANCELLED
        assert "shutting down" in outcome.error and outcome.error_kind == "unavailable"
        assert len(recorder.finishes[job.job_id]) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert pool.worker_pids() == []


def test_submit_after_stop_is_refused(make_pool, recorder: Recorder) -> None:
    """A stopped pool raises Unavailable rather than queueing for ever."""
    pool = make_pool(workers=1)
    pool.stop()
    with pytest.raises(Unavailable):
        pool.submit(item("echo", text="late"), recorder)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root looks worker_user up")
def test_start_with_unknown_worker_user_fails_loudly(tmp_path) -> None:
    """A worker_user that does not exist stops start() with a message naming it."""
    pool = LocalPool(pool_settings(tmp_path, workers=1, worker_user="no-such-honua-user"))
    with pytest.raises(Unavailable, match="no-such-honua-user"):
        pool.start()
    assert pool.worker_pids() == []
