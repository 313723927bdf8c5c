"""Requests and helpers for the OGC API tests."""

from __future__ import annotations

import time

import pytest


def point_collection(lon: float, lat: float, **properties) -> dict:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": 1, "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties}]}


@pytest.fixture
def buffer_request() -> dict:
    return {"inputs": {"features": point_collection(0.0, 0.0, name="origin"),
                       "distance": {"value": 100, "unit": "meters"}}}


def poll(client, job_id: str, timeout: float = 30.0) -> dict:
    """Poll a job's status until it is finished (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        info = client.get(f"/api/jobs/{job_id}").json()
        if info["status"] in ("successful", "failed", "dismissed") or time.monotonic() > deadline:
            return info
        time.sleep(0.05)
