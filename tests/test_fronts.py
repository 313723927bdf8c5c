"""Several front processes over one job store (``honua serve --processes 2``): any front
answers and cancels any job, at most ``workers`` jobs run in the whole server, and a front
killed with SIGKILL -- the one holding a running job, or every process at once -- loses
no job and leaves none running for good."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port
from tests.test_crash_recovery import REPO, submit, wait_status

ENDED = {"successful", "failed", "dismissed"}
POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [10, 50]}}]}


class Server:
    def __init__(self, data_dir: Path, workers: int = 2,
                 extra: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "HONUA_DATA_DIR": str(data_dir), "HONUA_PORT": str(self.port),
                       "HONUA_WORKERS": str(workers),
                       "HONUA_PROCESS_MODULES": "tests.plugins.misbehaving",
                       "PYTHONPATH": str(REPO), **(extra or {})}
        self.log = open(data_dir.parent / f"fronts-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "honua.cli", "serve", "--processes", "2"], cwd=REPO,
            env=environment, stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 90
        while len(self.live_fronts()) < 2 or not self._answers():
            assert self.process.poll() is None, f"the server stopped; see {self.log.name}"
            assert time.monotonic() < deadline, f"the fronts did not start; see {self.log.name}"
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/conformance", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _query(self, sql: str) -> list[tuple]:
        path = self.data_dir / "honua.db"
        if not path.exists():
            return []
        with sqlite3.connect(path, timeout=30) as connection:
            try:
                return connection.execute(sql).fetchall()
            except sqlite3.OperationalError:  # tables not created yet
                return []

    def live_fronts(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = {int(p) for p in children.read_text().split()} if children.exists() else set()
        known = {row[0] for row in self._query("SELECT pid FROM honua_fronts")}
        return pids & known

    def holder_pid(self, job_id: str) -> int:
        rows = self._query("SELECT f.pid FROM honua_job_holders h JOIN honua_fronts f "
                           f"ON f.id = h.front WHERE h.job_id = '{job_id}'")
        assert rows, f"job {job_id} has no holder"
        return rows[0][0]

    def running(self) -> int:
        return len(self._query("SELECT id FROM honua_jobs WHERE status = 'running'"))

    def kill_everything(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_everything()
        self.log.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def server(data_dir) -> Iterator[Server]:
    running = Server(data_dir)
    yield running
    running.stop()


def _all_end(server: Server, jobs: list[str], wanted: set[str] = ENDED) -> list[str]:
    infos = [wait_status(server.base, job, wanted, timeout=90) for job in jobs]
    return [f'{i["status"]}' if i["status"] == "successful" else f'{i["status"]}: {i["message"]}'
            for i in infos]


def test_the_worker_count_holds_for_the_whole_server(server):
    jobs = [submit(server.base, "sleepy", {"seconds": 0.5}) for _ in range(6)]
    most = 0
    while any(httpx.get(f"{server.base}/api/jobs/{j}").json()["status"] not in ENDED
              for j in jobs):
        most = max(most, server.running())
        time.sleep(0.05)
    assert most <= 2
    assert _all_end(server, jobs) == ["successful"] * 6


def test_any_front_cancels_any_job(server):
    for _ in range(4):  # the two fronts share one socket: some cancels cross over
        job = submit(server.base, "sleepy", {"seconds": 60})
        wait_status(server.base, job, {"running"}, timeout=60)
        response = httpx.delete(f"{server.base}/api/jobs/{job}")
        assert response.status_code in (200, 202), response.text
        deadline = time.monotonic() + 30
        while server.running():
            assert time.monotonic() < deadline, "a cancelled job kept running"
            time.sleep(0.1)


def test_killing_the_front_that_holds_a_job_loses_nothing(server):
    jobs = [submit(server.base, "sleepy", {"seconds": 3}) for _ in range(2)]
    for job in jobs:
        wait_status(server.base, job, {"running", "successful"}, timeout=60)
    holder = server.holder_pid(jobs[0])
    os.kill(holder, signal.SIGKILL)
    assert _all_end(server, jobs) == ["successful", "successful"]
    assert server.running() == 0


def test_killing_every_process_loses_nothing(data_dir):
    first = Server(data_dir)
    try:
        jobs = [submit(first.base, "sleepy", {"seconds": 2}) for _ in range(4)]
        wait_status(first.base, jobs[0], {"running"}, timeout=60)
    finally:
        first.kill_everything()
        first.log.close()
    second = Server(data_dir)
    try:
        assert _all_end(second, jobs) == ["successful"] * 4
        assert second.running() == 0
    finally:
        second.stop()


def _pids_of(server: Server, job_id: str, headers: dict) -> set[int]:
    """The pids of the ledger's worker agents of job ``job_id`` (for a workflow job, the
    front that ran it), once it has ended well."""
    deadline = time.monotonic() + 60
    while (status := httpx.get(f"{server.base}/api/jobs/{job_id}", headers=headers,
                               timeout=10).json()["status"]) not in ENDED:
        assert time.monotonic() < deadline, f"job {job_id} stayed {status}"
        time.sleep(0.1)
    assert status == "successful", status
    agents = httpx.get(f"{server.base}/api/jobs/{job_id}/provenance", headers=headers,
                       timeout=10).json()["agent"]
    return {int(a.rsplit("/", 1)[1]) for a in agents if a.startswith("honua:worker/")}


def _runs_on_every_front(server: Server, headers: dict) -> None:
    """Executions of the deployed workflow, each on a new connection, are accepted (never a
    404) until both fronts have run one."""
    fronts = server.live_fronts()
    ran: set[int] = set()
    deadline = time.monotonic() + 60
    while ran != fronts:
        assert time.monotonic() < deadline, f"only fronts {ran} of {fronts} were reached"
        answer = httpx.post(f"{server.base}/api/processes/buffered_centroids/execution",
                            json={"inputs": {"features": POINT}}, timeout=30,
                            headers={**headers, "Prefer": "respond-async"})
        assert answer.status_code == 201, answer.text
        ran |= _pids_of(server, answer.json()["jobID"], headers) & fronts


def test_a_deploy_reaches_every_front_without_a_restart(data_dir):
    from honua.core.identity import ApiKey, hash_key, new_key
    from honua.settings import Settings
    from honua.store import open_identity_store
    from tests.adapters.test_deploy import CENTROIDS

    key = new_key()
    open_identity_store(Settings(data_dir=data_dir)).add_key(
        ApiKey("admin", hash_key(key), "t1", frozenset({"admin", "user"}),
               dt.datetime.now(dt.UTC)))
    admin = {"X-API-Key": key}
    server = Server(data_dir, extra={"HONUA_DEPLOYED_RESYNC_SECONDS": "3600"})  # told, not re-read
    try:
        made = httpx.post(f"{server.base}/api/processes", json=CENTROIDS, headers=admin,
                          timeout=30)
        assert made.status_code == 201, made.text
        _runs_on_every_front(server, admin)
        gone = httpx.delete(f"{server.base}/api/processes/buffered_centroids", headers=admin,
                            timeout=30)
        assert gone.status_code == 204, gone.text
        for _ in range(20):  # new connections: both fronts answer some
            listed = httpx.get(f"{server.base}/api/processes/buffered_centroids",
                               headers=admin, timeout=10)
            assert listed.status_code == 404, "a front kept the undeployed workflow"
    finally:
        server.stop()
