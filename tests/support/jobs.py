"""Running a small real job through OGC API - Processes, for tests of what jobs leave
behind (metrics, logs) rather than of the protocol itself."""

from __future__ import annotations

import time


def points(n: int = 1) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": i, "geometry": {"type": "Point", "coordinates": [i * 1e-3, 0]},
         "properties": {"n": i}} for i in range(n)]}


def buffer_body(n: int = 1, metres: float = 100) -> dict:
    return {"inputs": {"features": points(n), "distance": {"value": metres, "unit": "meters"}}}


def run_async_buffer(client, *, headers: dict | None = None, timeout: float = 60.0,
                     n: int = 1) -> dict:
    """Submit an asynchronous buffer job and wait until it ends; its final status info."""
    response = client.post("/api/processes/buffer/execution", json=buffer_body(n),
                           headers={"Prefer": "respond-async", **(headers or {})})
    assert response.status_code == 201, response.text
    return wait_for(client, response.json()["jobID"], headers=headers, timeout=timeout)


def wait_for(client, job_id: str, *, headers: dict | None = None,
             timeout: float = 60.0) -> dict:
    """Poll a job until it ends; its final status info."""
    deadline = time.monotonic() + timeout
    while True:
        info = client.get(f"/api/jobs/{job_id}", headers=headers or {}).json()
        if info["status"] in ("successful", "failed", "dismissed"):
            return info
        assert time.monotonic() < deadline, f"job {job_id} did not end: {info}"
        time.sleep(0.05)
