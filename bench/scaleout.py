"""Scale-out benchmark: the same async job run on the local pool and on Celery workers.

    python bench/scaleout.py [--jobs 200] [--kills 3]

Needs PostgreSQL and RabbitMQ on loopback (``make test`` starts them; the settings are
those of the tests: ``HONUA_TEST_PG``, ``HONUA_TEST_BROKER_URL``). Every row runs
``--jobs`` one-point buffers (100 m), submitted through the OGC API with
``Prefer: respond-async`` by 8 client threads spread over the row's fronts, and times
from the first submission to the last job's end:

* local, SQLite   -- ``honua serve`` with its embedded store, 4 pool slots;
* local, PG       -- the same on PostgreSQL;
* celery 1 worker -- one front, one ``honua worker --concurrency 4`` (RabbitMQ, PostgreSQL);
* celery 2 workers -- one front, two workers of 2 slots each;
* celery 2+2      -- two fronts (submissions alternate) and two workers of 2 slots.

For each: jobs/s end to end and the queue latency (a job's ``created`` to ``started``,
p50/p95). Then the time to redelivery: a 3 s job runs on one worker, which is killed
(SIGKILL); the figure is the time from the kill to the job running on the other worker,
median over ``--kills`` rounds. There is no raw floor for a queue: the local pool on
SQLite is the baseline the Celery rows are read against (the ratio column).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import postgres  # noqa: E402
from tests.support.celery_cluster import Cluster  # noqa: E402
from tests.support.jobs import buffer_body  # noqa: E402

BUFFER = buffer_body(1)


def _submit_all(fronts: list[str], jobs: int) -> list[str]:
    def submit(i: int) -> str:
        response = httpx.post(f"{fronts[i % len(fronts)]}/api/processes/buffer/execution",
                              json=BUFFER, headers={"Prefer": "respond-async"},
                              timeout=60)
        response.raise_for_status()
        return str(response.json()["jobID"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(submit, range(jobs)))


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wait_all(base: str, ids: list[str], timeout: float = 600) -> list[dict[str, Any]]:
    """The status documents of ``ids`` once all have ended (one list request per poll)."""
    wanted, deadline = set(ids), time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = httpx.get(f"{base}/api/jobs", params={"limit": 10_000}, timeout=60).json()
        mine = [j for j in listed["jobs"] if j["jobID"] in wanted]
        if len(mine) == len(wanted) and all(
                j["status"] in ("successful", "failed", "dismissed") for j in mine):
            failed = [j for j in mine if j["status"] != "successful"]
            if failed:
                raise RuntimeError(f"{len(failed)} jobs did not succeed: {failed[0]}")
            return mine
        time.sleep(0.05)
    raise RuntimeError(f"the jobs did not end within {timeout:g} s")


def _row(name: str, fronts: list[str], jobs: int) -> dict[str, Any]:
    began = time.perf_counter()
    ids = _submit_all(fronts, jobs)
    ended = _wait_all(fronts[0], ids)
    elapsed = time.perf_counter() - began
    waits = sorted((_when(j["started"]) - _when(j["created"])).total_seconds() * 1000
                   for j in ended)
    return {"name": name, "jobs_per_s": jobs / elapsed,
            "p50": statistics.median(waits), "p95": waits[int(0.95 * (len(waits) - 1))]}


def _cluster_row(name: str, database: str, log_dir: Path, jobs: int, *, fronts: int,
                 slots: list[int], **settings: str) -> dict[str, Any]:
    running = Cluster(database, log_dir, **settings)
    try:
        bases = [running.front() for _ in range(fronts)]
        for concurrency in slots:  # one ``honua worker`` each
            running.worker(["cpu-burst"], concurrency=concurrency)
        _row("warm-up", bases, 8)
        return _row(name, bases, jobs)
    finally:
        running.stop()


def _redelivery(database: str, log_dir: Path, kills: int) -> list[float]:
    """Seconds from SIGKILL of the worker running a 3 s job to that job running elsewhere."""
    running = Cluster(database, log_dir)
    figures = []
    try:
        running.front()
        for _ in range(kills):
            first = running.worker(["cpu-burst"])
            job = running.submit("nap", {"seconds": 3})
            while running.status(job).get("worker", {}).get("pid") != first.pid:
                time.sleep(0.02)
            second = running.worker(["cpu-burst"])
            killed = time.perf_counter()
            running.kill(first)
            while (info := running.status(job)).get("worker", {}).get("pid") != second.pid \
                    or info["status"] != "running":
                if time.perf_counter() - killed > 120:
                    raise RuntimeError(f"job {job} was not run again: {info}")
                time.sleep(0.02)
            figures.append(time.perf_counter() - killed)
            running.wait(job, {"successful"})
            running.kill(second)
    finally:
        running.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        log_dir = Path(tmp)
        with postgres.fresh_database("honua_bench") as database:
            sqlite = str(log_dir / "sqlite")
            rows.append(_cluster_row("local, SQLite", database, log_dir, args.jobs, fronts=1,
                                     slots=[], executor="local", workers="4",
                                     database_url="", data_dir=sqlite))
        with postgres.fresh_database("honua_bench") as database:
            rows.append(_cluster_row("local, PG", database, log_dir, args.jobs, fronts=1,
                                     slots=[], executor="local", workers="4"))
        for name, fronts, slots in (("celery 1 worker", 1, [4]),
                                      ("celery 2 workers", 1, [2, 2]),
                                      ("celery 2+2", 2, [2, 2])):
            with postgres.fresh_database("honua_bench") as database:
                rows.append(_cluster_row(name, database, log_dir, args.jobs, fronts=fronts,
                                         slots=slots))
        with postgres.fresh_database("honua_bench") as database:
            redelivered = _redelivery(database, log_dir, args.kills)
    floor = rows[0]["jobs_per_s"]
    print(f"{args.jobs} one-point buffer jobs, async, 8 client threads")
    print(f"{'row':18} {'jobs/s':>8} {'x local':>8} {'queue p50':>10} {'p95':>8}")
    for row in rows:
        print(f"{row['name']:18} {row['jobs_per_s']:8.1f} {row['jobs_per_s'] / floor:8.2f} "
              f"{row['p50']:8.0f}ms {row['p95']:6.0f}ms")
    print(f"redelivery after kill -9 of a worker: median {statistics.median(redelivered):.2f} s "
          f"(rounds: {', '.join(f'{s:.2f}' for s in redelivered)})")


if __name__ == "__main__":
    main()
