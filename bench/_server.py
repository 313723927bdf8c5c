"""A real ``honua serve`` on a temporary data directory, for the benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx


def start_server(data_dir: str, port: int) -> subprocess.Popen:
    """Start the server (one worker per CPU) and return once it answers."""
    env = {**os.environ, "HONUA_DATA_DIR": data_dir, "HONUA_PORT": str(port),
           "HONUA_WORKERS": str(os.cpu_count() or 2)}
    process = subprocess.Popen([sys.executable, "-m", "honua", "serve"], env=env,
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
