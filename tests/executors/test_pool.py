"""Running well-behaved processes through the pool: values, errors, progress, codecs."""

from __future__ import annotations

import logging
import os
import pwd
import time

import numpy as np
import orjson
import pytest
import shapely

from honua.core import codec
from honua.core.context import MessageLevel
from honua.core.execution import Outcome, OutcomeStatus, WorkItem
from honua.core.invoke import bind_inputs
from honua.core.registry import discover
from honua.executors.pool import LocalPool
from honua.geo.features import FeatureCollection
from tests.executors.conftest import LIMITS, item
from tests.executors.recorder import Recorder


def test_pool_runs_a_process_and_returns_its_outputs(shared_pool: LocalPool,
                                                     recorder: Recorder) -> None:
    """A trivial job starts, then finishes once with its outputs."""
    work = item("echo", text="hello")
    shared_pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED
    assert outcome.outputs == {"result": "hello"}
    assert 0 < outcome.duration < 5
    assert [kind for kind, _ in recorder.of(work.job_id)] == ["start", "finish"]


def test_pool_returns_only_the_outputs_asked_for(shared_pool: LocalPool,
                                                 recorder: Recorder) -> None:
    """With ``outputs`` set, the other outputs are left out."""
    work = WorkItem("identify-uid-only", "identify", LIMITS, inputs={}, outputs=("uid",))
    shared_pool.submit(work, recorder)
    assert set(recorder.outcome(work.job_id).outputs) == {"uid"}


def test_pool_workers_run_as_the_worker_user(shared_pool: LocalPool,
                                             recorder: Recorder) -> None:
    """Started by root, a worker runs its jobs as 'nobody' (even with Python under a mode-700
    /root), in a process of its own; started by anyone else, as that user."""
    work = item("identify")
    shared_pool.submit(work, recorder)
    outputs = recorder.outcome(work.job_id).outputs
    expected = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert outputs["uid"] == expected
    assert outputs["pid"] in shared_pool.worker_pids()
    assert os.getpgid(outputs["pid"]) == outputs["pid"]


def test_pool_reports_honua_errors_with_their_kind(shared_pool: LocalPool,
                                                   recorder: Recorder) -> None:
    """A HonuaError keeps its message and neutral kind."""
    work = item("fail_clearly", value=-1)
    shared_pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error == "value -1 is not acceptable: give a positive one"
    assert outcome.error_kind == "invalid-parameter"


def test_pool_reports_other_errors_without_traceback(shared_pool: LocalPool, recorder: Recorder,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Any other exception is 'Type: message' for the client; the traceback goes to the log."""
    work = item("fail_badly")
    with caplog.at_level(logging.ERROR, logger="honua.executors"):
        shared_pool.submit(work, recorder)
        outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error.startswith("ZeroDivisionError: ")
    assert "Traceback" not in outcome.error and outcome.error_kind == ""
    assert "Traceback" in caplog.text and "fail_badly" in caplog.text


def test_pool_fails_unknown_processes(shared_pool: LocalPool, recorder: Recorder) -> None:
    """A process the worker does not have fails the item as no-such-process."""
    work = item("no_such_process")
    shared_pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.error_kind == "no-such-process"


def test_pool_relays_progress_and_messages(shared_pool: LocalPool, recorder: Recorder) -> None:
    """Progress and messages arrive in order, after on_start and before on_finish."""
    work = item("sleepy", seconds=0.2)
    shared_pool.submit(work, recorder)
    assert recorder.outcome(work.job_id).status is OutcomeStatus.SUCCEEDED
    kinds = [kind for kind, _ in recorder.of(work.job_id)]
    assert kinds[0] == "start" and kinds[-1] == "finish" and "progress" in kinds
    assert recorder.of(work.job_id, "message")[0] == (MessageLevel.INFO, "going to sleep")
    percents = [p for p, _ in recorder.of(work.job_id, "progress")]
    assert percents == sorted(percents) and all(0 <= p <= 100 for p in percents)


def test_pool_survives_a_job_that_forks_and_returns(shared_pool: LocalPool,
                                                    recorder: Recorder) -> None:
    """A forked child returning from the process exits at once; the worker answers once."""
    work, after = item("fork_and_return"), item("echo", text="after")
    shared_pool.submit(work, recorder)
    shared_pool.submit(after, recorder)
    assert recorder.outcome(work.job_id).outputs == {"result": "parent; child exit status 0"}
    assert recorder.outcome(after.job_id).outputs == {"result": "after"}
    assert len(recorder.finishes[work.job_id]) == 1


def test_pool_survives_listener_errors(shared_pool: LocalPool) -> None:
    """A listener that raises is logged; the item still ends and the pool goes on."""

    class Broken(Recorder):
        def on_start(self, job_id: str) -> None:
            raise RuntimeError("listener bug")

        def on_progress(self, job_id: str, percent: float, message: str | None) -> None:
            raise RuntimeError("listener bug")

    broken = Broken()
    work = item("sleepy", seconds=0.05)
    shared_pool.submit(work, broken)
    assert broken.outcome(work.job_id).status is OutcomeStatus.SUCCEEDED


def test_pool_runs_buffer_from_stored_json(shared_pool: LocalPool, recorder: Recorder) -> None:
    """The queued-job path: neutral JSON in, decoded and encoded by the worker, JSON out."""
    description = discover().get("buffer").description
    bound = bind_inputs(description, {
        "features": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10, 50]},
             "properties": {"name": "a"}}]},
        "distance": {"value": 100, "unit": "meters"}})
    work = WorkItem("buffer-json", "buffer", LIMITS,
                    inputs_json=codec.encode(description.inputs, bound),
                    outputs=("result",), return_json=True)
    shared_pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.outputs == {}
    result = codec.decode(description.outputs, outcome.outputs_json)["result"]
    polygon = result.geometry[0]
    assert polygon.geom_type == "Polygon" and polygon.contains(shapely.Point(10, 50))
    assert orjson.loads(outcome.outputs_json)["result"]["features"][0]["properties"] == {
        "name": "a"}


def test_pool_moves_100k_polygons_efficiently(shared_pool: LocalPool,
                                              recorder: Recorder) -> None:
    """100k polygons go to a worker and back (pickled as WKB) in well under the limit."""
    rng = np.random.default_rng(7)
    polygons = shapely.buffer(shapely.points(rng.random((100_000, 2)) * 100), 0.1, quad_segs=2)
    features = FeatureCollection(polygons, {"n": list(range(100_000))}, 4326)
    work = WorkItem("large", "echo_features", LIMITS.__class__(
        timeout_seconds=30, memory_mb=2048, cpu_seconds=60, max_processes=20, max_file_mb=16),
        inputs={"features": features})
    began = time.monotonic()
    shared_pool.submit(work, recorder)
    outcome: Outcome = recorder.outcome(work.job_id, timeout=30)
    elapsed = time.monotonic() - began
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
    back = outcome.outputs["result"]
    assert len(back) == 100_000 and back.columns["n"][-1] == 99_999
    assert shapely.equals_exact(back.geometry[::997], polygons[::997]).all()
    assert elapsed < 10, f"100k polygons took {elapsed:.2f} s"


def test_pool_job_can_import_the_standard_library_lazily(shared_pool: LocalPool,
                                                         recorder: Recorder) -> None:
    """A process importing a stdlib module inside its function works in the worker."""
    work = item("lazy_stdlib")
    shared_pool.submit(work, recorder)
    outcome = recorder.outcome(work.job_id)
    assert outcome.status is OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.outputs == {"result": "wave"}
