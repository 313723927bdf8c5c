"""The contract every ``honua.types.Executor`` keeps, run against each implementation.

An executor is whatever runs work items somewhere: the local pool here, a cluster of
batch jobs elsewhere (Kubernetes Jobs, a cloud batch service; ``tests/support/
fake_cluster.py`` shows the shape with one real process per job). The job manager relies
on exactly what these tests check, so a new executor is done when it passes them: add it
to ``EXECUTORS``.

- ``submit`` -> ``on_start`` once, then exactly one ``on_finish`` with an ``Outcome``;
  outputs come back by name; progress and messages reach the listener on the way;
- a process's own error keeps its message and kind; a crash is a clear failure;
- the wall-clock and memory limits end a job (timed-out / failed), the executor carries on;
- ``cancel`` ends a running or queued job as cancelled, once; unknown ids answer False;
- ``free_slots`` counts what would start now; items beyond it wait, ``priority`` first;
- ``stop`` ends what is left as cancelled with kind ``unavailable`` (so it can be re-queued).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from honua.core.execution import OutcomeStatus, RunLimits, WorkItem
from honua.executors.pool import LocalPool
from honua.types import Executor
from tests.executors.conftest import LIMITS, MODULES, item, pool_settings
from tests.executors.recorder import Recorder
from tests.support.fake_cluster import BatchAPI, ClusterExecutor

SLOTS = 2
WAIT = 30.0
"""Generous: a cluster job starts a fresh interpreter, on a machine shared with others."""


def _local(tmp_path: Path) -> Executor:
    return LocalPool(pool_settings(tmp_path, workers=SLOTS))


def _cluster(tmp_path: Path) -> Executor:
    api = BatchAPI(tmp_path / "cluster", process_modules=MODULES)
    return ClusterExecutor(pool_settings(tmp_path), api, quota=SLOTS)


EXECUTORS: dict[str, Callable[[Path], Executor]] = {"local-pool": _local,
                                                    "fake-cluster": _cluster}


@pytest.fixture(params=sorted(EXECUTORS))
def make_executor(request: pytest.FixtureRequest,
                  tmp_path: Path) -> Iterator[Callable[[], Executor]]:
    """Start an executor of each kind with ``SLOTS`` slots; stopped after the test."""
    made: list[Executor] = []

    def make() -> Executor:
        executor = EXECUTORS[request.param](tmp_path)
        executor.start()
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.stop()


@pytest.fixture
def executor(make_executor: Callable[[], Executor]) -> Executor:
    return make_executor()


def _limits(**changes: float) -> RunLimits:
    return RunLimits(**{**LIMITS.__dict__, **changes})


def _wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_a_job_starts_once_and_finishes_once_with_its_outputs(executor, recorder: Recorder):
    work = item("echo", text="hello")
    executor.submit(work, recorder)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.SUCCEEDED and outcome.outputs == {"result": "hello"}
    kinds = [kind for kind, _ in recorder.of(work.job_id)]
    assert kinds[0] == "start" and kinds.count("start") == 1 and kinds[-1] == "finish"
    time.sleep(0.2)
    assert len(recorder.finishes[work.job_id]) == 1


def test_progress_and_messages_reach_the_listener(executor, recorder: Recorder):
    work = item("sleepy", seconds=0.5)
    executor.submit(work, recorder)
    assert recorder.outcome(work.job_id, WAIT).status is OutcomeStatus.SUCCEEDED
    assert "going to sleep" in [text for _level, text in recorder.of(work.job_id, "message")]
    assert recorder.of(work.job_id, "progress"), "no progress was relayed"


def test_a_process_error_keeps_its_message_and_kind(executor, recorder: Recorder):
    work = item("fail_clearly", value=-1)
    executor.submit(work, recorder)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error == "value -1 is not acceptable: give a positive one"
    assert outcome.error_kind == "invalid-parameter"


def test_a_crash_fails_that_job_clearly_and_the_next_one_runs(executor, recorder: Recorder):
    crash, after = item("segfault"), item("echo", text="after")
    executor.submit(crash, recorder)
    outcome = recorder.outcome(crash.job_id, WAIT)
    assert outcome.status is OutcomeStatus.FAILED and "segmentation fault" in outcome.error
    executor.submit(after, recorder)
    assert recorder.outcome(after.job_id, WAIT).outputs == {"result": "after"}


def test_the_wall_clock_limit_times_a_job_out(executor, recorder: Recorder):
    work = item("spin", limits=_limits(timeout_seconds=1.0))
    executor.submit(work, recorder)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.TIMED_OUT and "time limit of 1 s" in outcome.error


def test_the_memory_limit_fails_a_job(executor, recorder: Recorder):
    work = item("hog_memory", limits=_limits(memory_mb=512))
    executor.submit(work, recorder)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error == "The process ran out of memory (limit 512 MB)"


def test_cancel_ends_a_running_job_once(executor, recorder: Recorder):
    work = item("sleepy", seconds=60)
    executor.submit(work, recorder)
    recorder.wait_for(work.job_id, "progress", WAIT)  # really running
    began = time.monotonic()
    assert executor.cancel(work.job_id)
    executor.cancel(work.job_id)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.CANCELLED
    assert time.monotonic() - began < 10
    time.sleep(0.3)
    assert len(recorder.finishes[work.job_id]) == 1
    assert not executor.cancel(work.job_id)
    assert not executor.cancel("no-such-job")


def test_free_slots_queueing_priority_and_cancel_of_a_queued_job(executor, recorder: Recorder):
    _wait_for(lambda: executor.free_slots() == SLOTS)
    busy = [item("sleepy", seconds=60) for _ in range(SLOTS)]
    for work in busy:
        executor.submit(work, recorder)
    for work in busy:
        recorder.wait_started(work.job_id, WAIT)
    assert executor.free_slots() == 0
    normal, urgent, dropped = item("echo", text="n"), item("echo", text="u"), item("echo", text="d")
    executor.submit(normal, recorder)
    executor.submit(dropped, recorder)
    executor.submit(urgent, recorder, priority=True)
    time.sleep(0.3)
    assert not recorder.finishes[normal.job_id], "a job started beyond the free slots"
    assert executor.cancel(dropped.job_id)
    assert recorder.outcome(dropped.job_id, WAIT).status is OutcomeStatus.CANCELLED
    executor.cancel(busy[0].job_id)
    assert recorder.outcome(urgent.job_id, WAIT).status is OutcomeStatus.SUCCEEDED
    executor.cancel(busy[1].job_id)
    assert recorder.outcome(normal.job_id, WAIT).status is OutcomeStatus.SUCCEEDED
    order = recorder.start_order()
    assert order.index(urgent.job_id) < order.index(normal.job_id)
    assert dropped.job_id not in order


def test_stop_ends_what_is_left_as_unavailable(make_executor, recorder: Recorder):
    executor = make_executor()
    running = item("sleepy", seconds=60)
    queued = [item("sleepy", seconds=60) for _ in range(SLOTS)]
    executor.submit(running, recorder)
    recorder.wait_started(running.job_id, WAIT)
    for work in queued:
        executor.submit(work, recorder)
    executor.stop()
    for work in (running, *queued):
        outcome = recorder.outcome(work.job_id, WAIT)
        assert outcome.status is OutcomeStatus.CANCELLED and outcome.error_kind == "unavailable"
        assert len(recorder.finishes[work.job_id]) == 1


def test_work_items_with_stored_json_inputs_run_too(executor, recorder: Recorder):
    work = WorkItem("json-1", "echo", LIMITS, inputs_json=b'{"text": "stored"}',
                    return_json=True)
    executor.submit(work, recorder)
    outcome = recorder.outcome(work.job_id, WAIT)
    assert outcome.status is OutcomeStatus.SUCCEEDED and b"stored" in (outcome.outputs_json or b"")
