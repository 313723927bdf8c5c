"""A server killed with SIGKILL loses no job: after a restart queued jobs run and
jobs that were running are re-run (or failed with a clear message), never left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[1]


def start_server(data_dir: Path, port: int, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "HONUA_DATA_DIR": str(data_dir), "HONUA_PORT": str(port),
                   "HONUA_WORKERS": "1", "HONUA_PROCESS_MODULES": "tests.plugins.misbehaving",
                   "PYTHONPATH": str(REPO), **env}
    log = open(data_dir.parent / f"server-{port}.log", "ab")  # noqa: SIM115 - kept with the process
    process = subprocess.Popen([sys.executable, "-m", "honua.cli", "serve"], cwd=REPO,
                               env=environment, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/conformance", timeout=1)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the server did not start; see {log.name}")


def wait_status(base: str, job_id: str, wanted: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    info: dict = {}
    while time.monotonic() < deadline:
        info = httpx.get(f"{base}/api/jobs/{job_id}").json()
        if info.get("status") in wanted:
            return info
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed {info.get('status')}: {info}")


def submit(base: str, process_id: str, inputs: dict) -> str:
    response = httpx.post(f"{base}/api/processes/{process_id}/execution",
                          json={"inputs": inputs}, headers={"Prefer": "respond-async"})
    assert response.status_code == 201, response.text
    return response.json()["jobID"]


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    return path


def crash_with_jobs(data_dir: Path) -> tuple[str, str]:
    """Start a server, give it a running and a queued job, then SIGKILL it."""
    port = free_port()
    server = start_server(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        running = submit(base, "sleepy", {"seconds": 2})
        queued = submit(base, "echo", {"text": "still here"})
        wait_status(base, running, {"running"})
        assert httpx.get(f"{base}/api/jobs/{queued}").json()["status"] == "accepted"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    return running, queued


def test_restart_reruns_interrupted_job_and_dispatches_queued_one(data_dir):
    running, queued = crash_with_jobs(data_dir)
    port = free_port()
    server = start_server(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_status(base, queued, {"successful", "failed"})["status"] == "successful"
        rerun = wait_status(base, running, {"successful", "failed"})
        assert rerun["status"] == "successful"
        results = httpx.get(f"{base}/api/jobs/{queued}/results")
        assert results.text.strip('"') == "still here"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_restart_fails_interrupted_job_when_reruns_are_off(data_dir):
    running, queued = crash_with_jobs(data_dir)
    port = free_port()
    server = start_server(data_dir, port, HONUA_RERUN_INTERRUPTED="false")
    base = f"http://127.0.0.1:{port}"
    try:
        failed = wait_status(base, running, {"successful", "failed"})
        assert failed["status"] == "failed"
        assert "interrupted" in failed["message"]
        assert wait_status(base, queued, {"successful", "failed"})["status"] == "successful"
    finally:
        server.terminate()
        server.wait(timeout=30)
