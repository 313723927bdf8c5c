"""What the pool costs: a trivial job's round trip is a millisecond or so, not more than 5."""

from __future__ import annotations

import statistics
import time

from honua.core.execution import OutcomeStatus
from honua.executors.pool import LocalPool
from tests.executors.conftest import item
from tests.executors.recorder import Recorder

ROUNDS = 300


def test_trivial_job_round_trip_costs_well_under_5_ms(shared_pool: LocalPool) -> None:
    """Median time from submit() to on_finish() of an 'echo' job, one at a time."""
    recorder = Recorder()
    times = []
    for _ in range(ROUNDS):
        job = item("echo", text="x")
        began = time.perf_counter()
        shared_pool.submit(job, recorder)
        outcome = recorder.outcome(job.job_id)
        times.append(time.perf_counter() - began)
        assert outcome.status is OutcomeStatus.SUCCEEDED
    median = statistics.median(times[ROUNDS // 10:])
    print(f"\nround trip of a trivial job: median {median * 1000:.2f} ms over {ROUNDS} jobs")
    assert median < 0.005
