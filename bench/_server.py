"""A real ``honua serve`` on a temporary data directory, for the benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx


def start_server(data_dir: str, port: int, *, processes: int | None = None,
                 env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start the server (one worker per CPU unless ``env`` says otherwise; ``processes``
    fronts, default the server's) and return once it answers."""
    env = {**os.environ, "HONUA_DATA_DIR": data_dir, "HONUA_PORT": str(port),
           "HONUA_WORKERS": str(os.cpu_count() or 2), **(env or {})}
    fronts = ["--processes", str(processes)] if processes is not None else []
    process = subprocess.Popen([sys.executable, "-m", "honua", "serve", *fronts], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/conformance", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start within 60 s")


def run_job(base: str, process_id: str, body: Mapping[str, Any], timeout: float = 900) -> str:
    """Submit ``body`` to ``process_id`` as an asynchronous job and wait until it succeeds;
    its id."""
    answer = httpx.post(f"{base}/api/processes/{process_id}/execution", json=body,
                        headers={"Prefer": "respond-async"}, timeout=timeout)
    answer.raise_for_status()
    job = str(answer.json()["jobID"])
    while (status := httpx.get(f"{base}/api/jobs/{job}").json()["status"]) in (
            "accepted", "running"):
        time.sleep(0.2)
    assert status == "successful", status
    return job


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` now (0 once it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf(
            "SC_PAGE_SIZE") / 1048576
    except OSError:
        return 0.0
