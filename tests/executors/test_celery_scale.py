"""Celery mode at the size the scale-out issue names: PostgreSQL, RabbitMQ, two fronts and two
``honua worker`` processes, 200 jobs submitted through both fronts. One worker is killed
(SIGKILL) in the middle of a job and one front right after the last submission: every job
still ends succeeded, each exactly once, and both workers served some."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.celery_cluster import Cluster, cluster

JOBS = 200
ENDED = {"succeeded", "failed", "cancelled", "timed-out", "dismissed"}  # as stored


def _submit_all(honua: Cluster, fronts: list[str]) -> list[str]:
    def submit(i: int) -> str:
        return honua.submit("nap", {"seconds": 0.05}, base=fronts[i % len(fronts)])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(submit, range(JOBS)))


def _statuses(honua: Cluster) -> dict[str, tuple[str, int | None, int]]:
    """Job id -> (status, pid of the worker that recorded the end, attempts), from the store."""
    rows = honua.query("SELECT j.id, j.status, (p.record::json -> 'worker' ->> 'pid')::int, "
                       "j.attempts FROM honua_jobs j LEFT JOIN honua_provenance p "
                       "ON p.job_id = j.id")
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def _wait_until(condition, what: str, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def test_two_hundred_jobs_survive_a_killed_worker_and_a_killed_front(tmp_path):
    with cluster(tmp_path) as honua:
        surviving_front = honua.front()
        doomed_front = honua.front()
        doomed = honua.worker(["cpu-burst"], concurrency=2)
        survivor = honua.worker(["cpu-burst"], concurrency=2)
        jobs = _submit_all(honua, [surviving_front, doomed_front])
        assert len(set(jobs)) == JOBS

        def doomed_has_served_and_is_running() -> bool:
            done = [pid for status, pid, _ in _statuses(honua).values()
                    if status == "succeeded"]
            held = honua.query("SELECT count(*) FROM honua_job_holders h JOIN honua_jobs j "
                               "ON j.id = h.job_id WHERE j.status = 'running' AND h.front = "
                               "(SELECT id FROM honua_fronts WHERE pid = %s)", doomed.pid)
            return done.count(doomed.pid) >= 3 and bool(held) and held[0][0] > 0

        _wait_until(doomed_has_served_and_is_running, "the first worker to run some jobs")
        honua.kill(doomed)  # in the middle of a job
        honua.kill(honua.processes[1])  # the second front, all its jobs accepted

        def all_ended() -> bool:  # and their provenance written (it follows the end)
            statuses = _statuses(honua)
            return sum(statuses.get(j, ("", None))[0] in ENDED
                       and statuses[j][1] is not None for j in jobs) == JOBS

        _wait_until(all_ended, f"all {JOBS} jobs to end; logs in {tmp_path}", timeout=300)
        statuses = _statuses(honua)
        assert Counter(statuses[j][0] for j in jobs) == {"succeeded": JOBS}
        served = Counter(statuses[j][1] for j in jobs)
        assert served[doomed.pid] >= 3 and served[survivor.pid] > 0
        assert set(served) == {doomed.pid, survivor.pid}
        rerun = [j for j in jobs if statuses[j][2] > 1]
        assert rerun, "the killed worker's job was not run again"
        assert all(statuses[j][1] == survivor.pid for j in rerun)
        # every result is there, through the front that lived
        with httpx.Client(base_url=surviving_front, timeout=30) as client:
            for job in jobs[1::len(jobs) // 10]:  # ten of them, through both fronts' jobs
                response = client.get(f"/api/jobs/{job}/results")
                assert response.status_code == 200 and isinstance(response.json(), int)
