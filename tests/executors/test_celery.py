"""``executor = "celery"`` end to end: ``honua serve`` publishes queued jobs to RabbitMQ,
``honua worker`` processes run them (PostgreSQL holds the truth). Real services on
loopback, subprocesses, a fresh database and unique queues per test."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.celery_cluster import HOST, Cluster, cluster

ENDED = {"successful", "failed", "dismissed"}


@pytest.fixture
def honua(tmp_path):
    with cluster(tmp_path) as running:
        yield running


def _messages(honua: Cluster, job_id: str) -> list[str]:
    return [row[0] for row in honua.query(
        "SELECT text FROM honua_job_messages WHERE job_id = %s ORDER BY seq", job_id)]


def test_a_job_runs_on_a_worker_whose_status_names_it(honua):
    front = honua.front()
    worker = honua.worker(["cpu-burst"], concurrency=2)
    job = honua.submit("nap", {"seconds": 0.2})
    info = honua.wait(job, ENDED)
    assert info["status"] == "successful", info
    assert info["worker"] == {"host": HOST, "pid": worker.pid}
    child = httpx.get(f"{front}/api/jobs/{job}/results", timeout=30).json()  # its pid
    assert isinstance(child, int) and child not in (worker.pid, honua.processes[0].pid)


def test_a_worker_serves_only_its_queues(honua):
    honua.front()
    honua.worker(["cpu-burst"])
    waiting = honua.submit("long_nap", {"seconds": 0.1})  # long-tail: nobody serves it yet
    quick = honua.submit("nap", {"seconds": 0.1})
    assert honua.wait(quick, ENDED)["status"] == "successful"
    time.sleep(1.0)  # the cpu-burst worker had every chance to take it
    assert honua.status(waiting)["status"] == "accepted"
    long_tail = honua.worker(["long-tail"])
    info = honua.wait(waiting, ENDED)
    assert info["status"] == "successful", info
    assert info["worker"]["pid"] == long_tail.pid


def test_a_job_cancelled_while_no_worker_runs_never_executes(honua):
    honua.front()
    job = honua.submit("nap", {"seconds": 0.1})
    deadline = time.monotonic() + 30
    while not honua.query("SELECT 1 FROM honua_job_holders WHERE job_id = %s AND "
                          "front = 'broker'", job):  # published: its message is queued
        assert time.monotonic() < deadline, "the job was never published"
        time.sleep(0.1)
    cancelled = httpx.post(f"{honua.base}/api/jobs/{job}/cancel", timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    honua.worker(["cpu-burst"])
    later = honua.submit("nap", {"seconds": 0.1})  # queued behind the cancelled one
    assert honua.wait(later, ENDED)["status"] == "successful"
    info = honua.status(job)
    assert info["status"] == "dismissed" and "started" not in info and "worker" not in info
    assert "Job started" not in _messages(honua, job)
    assert honua.attempts(job) == 0


def _running_on(honua: Cluster, job: str, pid: int) -> None:
    deadline = time.monotonic() + 60
    while (info := honua.status(job)).get("worker", {}).get("pid") != pid or (
            info["status"] != "running"):
        assert info["status"] not in ENDED, info
        assert time.monotonic() < deadline, f"job {job} never ran on worker {pid}: {info}"
        time.sleep(0.05)


def test_a_job_of_a_killed_worker_runs_again_on_another(honua):
    honua.front()
    first = honua.worker(["cpu-burst"])
    job = honua.submit("nap", {"seconds": 3})
    _running_on(honua, job, first.pid)
    honua.kill(first)
    second = honua.worker(["cpu-burst"])
    info = honua.wait(job, ENDED)
    assert info["status"] == "successful", info
    assert info["worker"]["pid"] == second.pid
    assert honua.attempts(job) == 2


def test_a_job_of_a_killed_worker_fails_clearly_after_the_last_attempt(tmp_path):
    with cluster(tmp_path, max_attempts="1") as honua:
        honua.front()
        first = honua.worker(["cpu-burst"])
        job = honua.submit("nap", {"seconds": 3})
        _running_on(honua, job, first.pid)
        honua.kill(first)
        honua.worker(["cpu-burst"])  # gets the redelivered message, must not run it again
        info = honua.wait(job, ENDED)
        assert info["status"] == "failed", info
        assert "interrupted while this job was running" in info["message"]
        assert honua.attempts(job) == 1


def test_a_running_job_cancelled_on_the_front_stops_on_its_worker(honua):
    honua.front()
    worker = honua.worker(["cpu-burst"])
    job = honua.submit("nap", {"seconds": 60})
    _running_on(honua, job, worker.pid)
    began = time.monotonic()
    httpx.post(f"{honua.base}/api/jobs/{job}/cancel", timeout=30).raise_for_status()
    info = honua.wait(job, ENDED, timeout=45)
    assert info["status"] == "dismissed", info
    assert time.monotonic() - began < 45  # stopped, not run to its end (60 s)
    later = honua.submit("nap", {"seconds": 0.1})  # and the worker's slot is free again
    assert honua.wait(later, ENDED)["status"] == "successful"
