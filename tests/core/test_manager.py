"""The job manager's rules, on in-memory stores and an in-thread executor."""

import datetime as dt
import time
from typing import Annotated

import pytest

from honua.core.context import Context
from honua.core.decorator import definition_of, process
from honua.core.jobs import Job, JobEvent, JobStatus
from honua.core.manager import JobManager, inputs_key
from honua.core.parameters import Input
from honua.core.registry import Registry
from honua.core.requests import ExecutionOptions
from honua.errors import (
    InvalidParameter,
    JobFailed,
    NoSuchJob,
    NotFound,
    NotSupported,
    ResultNotReady,
)
from honua.executors.inline import InlineExecutor
from honua.settings import Settings
from honua.store.memory import MemoryArtifactStore, MemoryJobStore


@process("add", title="Add")
def add(ctx: Context, a: float, b: Annotated[float, Input(title="B")] = 1.0) -> float:
    return a + b


@process("wait_for_cancel", title="Wait", job_control=("async",))
def wait_for_cancel(ctx: Context, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ctx.cancelled:
            return False
        time.sleep(0.01)
    return True


@process("explode", title="Explode")
def explode(ctx: Context, message: str) -> str:
    raise InvalidParameter(message, parameter="message")


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def manager(clock, tmp_path):
    registry = Registry([definition_of(f) for f in (add, wait_for_cancel, explode)])
    settings = Settings(data_dir=tmp_path, retention_hours=1, cleanup_interval_seconds=3600)
    m = JobManager(registry, MemoryJobStore(), MemoryArtifactStore(),
                   InlineExecutor(registry, threads=2), settings, clock=clock)
    m.start()
    yield m
    m.stop()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_manager_execute_sync_returns_outputs_and_records_the_job(manager):
    execution = manager.execute("add", {"a": 2, "b": "3"}).result(timeout=5)
    assert execution.outputs == {"result": 5.0}
    job = manager.get(execution.job.id)
    assert job.status is JobStatus.SUCCEEDED and job.started and job.finished
    assert any("Succeeded" in m.text for m in manager.messages(job.id))


def test_manager_execute_sync_invalid_input_refused_before_anything_is_stored(manager):
    with pytest.raises(InvalidParameter, match="needs input 'a'"):
        manager.execute("add", {})
    assert manager.list()[1] == 0


def test_manager_submit_runs_and_stores_results(manager):
    job = manager.submit("add", {"a": 1})
    assert job.status is JobStatus.SUBMITTED
    done = manager.wait(job.id, 5)
    assert done.status is JobStatus.SUCCEEDED and done.has_outputs and done.expires
    assert manager.results(job.id) == {"result": 2.0}


def test_manager_respects_job_control(manager):
    with pytest.raises(NotSupported, match="asynchronously only"):
        manager.execute("wait_for_cancel", {})


def test_manager_failed_process_reports_its_message(manager):
    job = manager.submit("explode", {"message": "bad field 'x'"})
    done = manager.wait(job.id, 5)
    assert done.status is JobStatus.FAILED and done.message == "bad field 'x'"
    assert done.error_kind == "invalid-parameter"
    with pytest.raises(JobFailed, match="bad field") as caught:
        manager.results(job.id)
    assert caught.value.kind == "invalid-parameter"  # as the synchronous run reports it


def test_manager_results_of_running_job_not_ready(manager):
    job = manager.submit("wait_for_cancel", {"seconds": 5})
    assert wait_until(lambda: manager.get(job.id).status is JobStatus.RUNNING)
    with pytest.raises(ResultNotReady):
        manager.results(job.id)
    manager.cancel(job.id)


def test_manager_cancel_running_job_ends_cancelled(manager):
    job = manager.submit("wait_for_cancel", {"seconds": 5})
    assert wait_until(lambda: manager.get(job.id).status is JobStatus.RUNNING)
    assert manager.cancel(job.id).status is JobStatus.CANCELLING
    assert manager.wait(job.id, 2).status is JobStatus.CANCELLED
    assert not manager.get(job.id).has_outputs


def test_manager_dismiss_forgets_job_and_files(manager):
    job = manager.wait(manager.submit("add", {"a": 1}).id, 5)
    assert manager.dismiss(job.id).status is JobStatus.DISMISSED
    with pytest.raises(NoSuchJob):
        manager.get(job.id)
    assert not manager.artifacts.exists(inputs_key(job.id))


def test_manager_recover_requeues_running_job_then_fails_after_max_attempts(manager, clock):
    store = manager.store
    job = Job(id="j1", process_id="add", options=ExecutionOptions(mode="async"),
              created=clock.now).apply(JobEvent.SUBMIT, clock.now).apply(JobEvent.START, clock.now)
    store.create(job)
    manager.artifacts.put(inputs_key("j1"), b'{"a": 1}')
    manager.recover()
    requeued = store.get("j1")
    assert requeued.status is JobStatus.SUBMITTED
    assert "interrupted" in requeued.message
    store.update(requeued.apply(JobEvent.START, clock.now), expected=JobStatus.SUBMITTED)
    manager.recover()  # second interruption: attempts exhausted
    assert store.get("j1").status is JobStatus.FAILED
    assert "interrupted" in store.get("j1").message


def test_manager_cleanup_removes_expired_jobs(manager, clock):
    job = manager.wait(manager.submit("add", {"a": 1}).id, 5)
    assert manager.cleanup() == 0
    clock.now += dt.timedelta(hours=2)
    assert manager.cleanup() == 1
    with pytest.raises(NotFound):
        manager.get(job.id)


def test_manager_requeues_a_job_stopped_by_server_shutdown(manager):
    """A running job cut short by a shutdown is queued again, not reported cancelled."""
    from honua.core.execution import Outcome, OutcomeStatus

    job = manager.submit("wait_for_cancel", {"seconds": 5})
    assert wait_until(lambda: manager.get(job.id).status is JobStatus.RUNNING)
    manager.recorder.complete(job.id, Outcome(OutcomeStatus.CANCELLED, error="shutting down",
                                              error_kind="unavailable"))
    requeued = manager.get(job.id)
    assert requeued.status is JobStatus.SUBMITTED and "queued again" in requeued.message
    manager.cancel(job.id)


def test_manager_list_filters_by_duration(manager, clock):
    """minDuration/maxDuration: finished - started, or now - started while running."""
    store = manager.store
    t = clock.now
    quick = Job(id="quick", process_id="add", created=t, started=t,
                finished=t + dt.timedelta(seconds=2), status=JobStatus.SUCCEEDED)
    slow = Job(id="slow", process_id="add", created=t, started=t - dt.timedelta(seconds=50),
               status=JobStatus.RUNNING)
    waiting = Job(id="waiting", process_id="add", created=t, status=JobStatus.ACCEPTED)
    for job in (quick, slow, waiting):
        store.create(job)
    assert [j.id for j in manager.list(min_duration=10)[0]] == ["slow"]
    assert [j.id for j in manager.list(max_duration=10)[0]] == ["quick"]
    jobs, total = manager.list(min_duration=0, limit=1)
    assert total == 2 and len(jobs) == 1
