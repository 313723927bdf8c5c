"""``/metrics`` behind several front processes (uvicorn ``--workers 2``) in
prometheus-client's multiprocess mode: whichever process answers a scrape, the
request counter holds every process's requests."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import free_port

pytestmark = pytest.mark.timeout(180)


def _not_found_count(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "honua_http_requests_total"
               and sample.labels == {"surface": "other", "method": "GET", "status": "404"})


def test_counts_add_up_across_front_processes(tmp_path):
    folder = tmp_path / "prometheus"
    folder.mkdir()
    port = free_port()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "HONUA_DATA_DIR": str(tmp_path / "data"), "HONUA_WORKERS": "1",
           "HONUA_METRICS_PUBLIC": "true", "HONUA_ACCESS_LOG": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "honua.app:from_environment",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--log-level", "warning"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        pids = set()
        with httpx.Client(base_url=base, headers={"Connection": "close"}) as client:
            for _ in range(40):  # new connections: both processes answer some
                assert client.get("/nowhere").status_code == 404
            files = {path.name for path in folder.iterdir()}
            pids = {name.rsplit("_", 1)[-1].split(".")[0] for name in files}
            for _ in range(4):
                counted = _not_found_count(client.get("/metrics").text)
                assert counted == 40, counted
        assert len(pids) >= 2, files  # both processes wrote values
    finally:
        server.terminate()
        server.wait(30)
