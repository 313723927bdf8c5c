"""Misbehaving jobs end failed or timed-out with a clear message; the pool carries on.

All tests share one two-worker pool: surviving them, one after another, is
the point. Each bad job runs alongside normal ``echo`` jobs, which must
succeed, and its worker -- with everything the job started -- must be gone.
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import replace
from pathlib import Path

import pytest

from honua.core.execution import OutcomeStatus
from honua.executors.pool import LocalPool
from tests.executors.conftest import LIMITS, item
from tests.executors.recorder import Recorder

FAILED, TIMED_OUT = OutcomeStatus.FAILED, OutcomeStatus.TIMED_OUT


def _gone(pids: list[int], timeout: float) -> bool:
    """Wait until every process of ``pids`` has exited (SIGKILLed ones may need a moment)."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            exited = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            if not select.select([exited], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return False
        finally:
            os.close(exited)
    return True


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize(("process_id", "inputs", "limits", "status", "error"), [
    pytest.param("hog_memory", {}, LIMITS, FAILED,
                 "The process ran out of memory (limit 1024 MB)", id="memory"),
    pytest.param("fork_bomb", {}, LIMITS, TIMED_OUT,
                 "The process exceeded its time limit of 3 s", id="fork-bomb"),
    pytest.param("spin", {}, LIMITS, TIMED_OUT,
                 "The process exceeded its time limit of 3 s", id="endless-loop"),
    pytest.param("spin", {}, replace(LIMITS, cpu_seconds=1, timeout_seconds=30), TIMED_OUT,
                 "The process exceeded its CPU time limit of 1 s", id="cpu-time"),
    pytest.param("segfault", {}, LIMITS, FAILED,
                 "The worker process crashed (segmentation fault)", id="segfault"),
    pytest.param("abort", {}, LIMITS, FAILED,
                 "The worker process aborted (SIGABRT)", id="abort"),
    pytest.param("write_big", {"megabytes": 64}, LIMITS, FAILED,
                 "The process tried to write a file larger than its limit of 16 MB",
                 id="file-size"),
])
def test_misbehaving_job_ends_clearly_and_others_carry_on(
        shared_pool: LocalPool, recorder: Recorder, process_id: str, inputs: dict,
        limits: object, status: OutcomeStatus, error: str) -> None:
    """The bad job ends with its message, echo jobs beside it succeed, its worker is replaced."""
    before = set(shared_pool.worker_pids())
    bad = item(process_id, limits=limits, **inputs)
    shared_pool.submit(bad, recorder)
    recorder.wait_started(bad.job_id)
    echoes = [item("echo", text=str(n)) for n in range(3)]
    for echo in echoes:
        shared_pool.submit(echo, recorder)

    outcome = recorder.outcome(bad.job_id, timeout=40)
    assert (outcome.status, outcome.error[:len(error)]) == (status, error)
    assert "Traceback" not in outcome.error
    for n, echo in enumerate(echoes):
        assert recorder.outcome(echo.job_id).outputs == {"result": str(n)}

    (replaced,) = before - set(shared_pool.worker_pids())
    assert _gone(_group_members(replaced), timeout=10)
    after = item("echo", text="after")
    shared_pool.submit(after, recorder)
    assert recorder.outcome(after.job_id).status is OutcomeStatus.SUCCEEDED
    assert shared_pool.wait_ready(timeout=30)
    assert len(shared_pool.worker_pids()) == 2
    assert all(len(outcomes) == 1 for outcomes in recorder.finishes.values())


def test_fork_bomb_is_held_to_max_processes(shared_pool: LocalPool, recorder: Recorder) -> None:
    """While it runs, a fork bomb's process group stays within RLIMIT_NPROC."""
    if os.geteuid() == 0 and not shared_pool.settings.worker_user:
        pytest.skip("root ignores RLIMIT_NPROC unless the workers switch user")
    bomb = item("fork_bomb", limits=replace(LIMITS, timeout_seconds=1.5))
    shared_pool.submit(bomb, recorder)
    recorder.wait_started(bomb.job_id)
    pgids = set(shared_pool.worker_pids())
    largest, deadline = 0, time.monotonic() + 10
    while not recorder.finishes.get(bomb.job_id) and time.monotonic() < deadline:
        largest = max(largest, *(len(_group_members(pgid)) for pgid in pgids))
    assert 1 < largest <= LIMITS.max_processes
    assert recorder.outcome(bomb.job_id).status is OutcomeStatus.TIMED_OUT


def _pids_cgroup(pid: int) -> str:
    """The pids cgroup ``pid`` is counted in ('/' for none of its own)."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            return path
    return "/"


PIDS_CGROUP = os.access("/sys/fs/cgroup/pids", os.W_OK)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches workers to other users")
@pytest.mark.parametrize("uid_base", [60000, 0], ids=["a-uid-per-slot", "one-shared-user"])
def test_a_fork_bomb_leaves_other_slots_able_to_fork(make_pool, recorder: Recorder,
                                                     uid_base: int) -> None:
    """A fork bomb held at its limit in one slot leaves the other slot's job free to fork:
    with a uid per slot because RLIMIT_NPROC counts per user, and with one user shared by
    every slot (the default) because each worker is counted in a pids cgroup of its own."""
    if not uid_base and not PIDS_CGROUP:
        pytest.fail("this machine offers root no writable pids cgroup controller: with one "
                    "shared worker user a fork bomb in one slot would stop the others forking")
    pool = make_pool(workers=2, worker_uid_base=uid_base)
    bomb = item("fork_bomb", limits=replace(LIMITS, timeout_seconds=8))
    pool.submit(bomb, recorder)
    recorder.wait_started(bomb.job_id)
    time.sleep(1.0)  # the bomb is at its limit long before this
    fork = item("fork_and_return")
    pool.submit(fork, recorder)
    outcome = recorder.outcome(fork.job_id, timeout=30)
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome
    workers = pool.worker_pids()  # while the bomb still runs, both workers are there
    owners = {os.stat(f"/proc/{pid}").st_uid for pid in workers}
    assert owners == ({60000, 60001} if uid_base else {65534})
    if not uid_base:
        groups = {_pids_cgroup(pid) for pid in workers}
        assert len(groups) == 2 and all("/honua/worker-" in group for group in groups), groups
    assert recorder.outcome(bomb.job_id, timeout=30).status is TIMED_OUT
