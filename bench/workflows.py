"""Workflow benchmark: a three-step workflow vs the same steps by hand; cache-hit latency.

    python bench/workflows.py [--runs N] [--points N]

In one process, the real application (SQLite job store, local worker pool of 2) behind
Starlette's test client (no sockets: what is measured is Honua, not HTTP):

* by hand   -- buffer, clip, dissolve as three asynchronous jobs, the client polling
               each and posting the next with the previous one's results;
* workflow  -- the same three steps as one ``POST /api/workflows/execution`` (async,
               ``reuse: false``), polled to the end;
* cache hit -- the same workflow, synchronous, run again with identical inputs: every
               step is answered from the partial-result cache.

Prints wall time per chain (median), chains/s, and the cache-hit latency against a
cold run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.core.test_workflows import BUFFER_CLIP_DISSOLVE  # noqa: E402
from tests.support.toolbox import POLYGONS  # noqa: E402

from honua.app import build_services, create_app  # noqa: E402
from honua.settings import Settings  # noqa: E402


def points(n: int, shift: float) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"i": i}, "geometry": {"type": "Point", "coordinates": [
            10.0 + (i % 40) * 0.0006 + shift, 50.0 + (i // 40) * 0.0004]}} for i in range(n)]}


def poll(client: TestClient, job_id: str) -> dict:
    while True:
        info = client.get(f"/api/jobs/{job_id}").json()
        if info["status"] in ("successful", "failed", "dismissed"):
            assert info["status"] == "successful", info
            return info
        time.sleep(0.005)


def job(client: TestClient, process: str, inputs: dict) -> dict:
    response = client.post(f"/api/processes/{process}/execution", json={"inputs": inputs},
                           headers={"Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    poll(client, job_id)
    return client.get(f"/api/jobs/{job_id}/results").json()


def by_hand(client: TestClient, features: dict) -> dict:
    buffered = job(client, "buffer", {"features": features,
                                      "distance": {"value": 30, "unit": "meters"}})
    clipped = job(client, "clip", {"features": buffered, "clip_features": POLYGONS})
    return job(client, "dissolve", {"features": clipped})


def workflow(client: TestClient, features: dict, *, sync: bool = False,
             reuse: bool = False) -> float:
    body = {"workflow": BUFFER_CLIP_DISSOLVE, "reuse": reuse, "inputs": {
        "points": features, "area": POLYGONS, "distance": {"value": 30, "unit": "meters"}}}
    began = time.perf_counter()
    if sync:
        assert client.post("/api/workflows/execution", json=body).status_code == 200
    else:
        response = client.post("/api/workflows/execution", json=body,
                               headers={"Prefer": "respond-async"})
        poll(client, response.json()["jobID"])
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", workers=2,
                            cleanup_interval_seconds=3600)
        with TestClient(create_app(settings, services=build_services(settings))) as client:
            workflow(client, points(args.points, 0.5))  # warm the workers
            hand, flow = [], []
            for run in range(args.runs):
                features = points(args.points, run * 1e-5)
                began = time.perf_counter()
                by_hand(client, features)
                hand.append(time.perf_counter() - began)
                flow.append(workflow(client, points(args.points, run * 1e-5 + 1e-6)))
            cold, hits = [], []
            for run in range(args.runs):
                features = points(args.points, 1.0 + run * 1e-5)
                cold.append(workflow(client, features, sync=True, reuse=True))
                hits.append(workflow(client, features, sync=True, reuse=True))
    h, f = statistics.median(hand), statistics.median(flow)
    c, k = statistics.median(cold), statistics.median(hits)
    print(f"buffer -> clip -> dissolve, {args.points} points, {args.runs} runs (medians)")
    print(f"  by hand (3 async jobs, client polls) {h * 1000:8.1f} ms   {1 / h:6.1f} chains/s")
    print(f"  workflow (1 async job)               {f * 1000:8.1f} ms   {1 / f:6.1f} chains/s"
          f"   overhead {100 * (f - h) / h:+.0f} %")
    print(f"  sync workflow, cold                  {c * 1000:8.1f} ms")
    print(f"  sync workflow, cache hit             {k * 1000:8.1f} ms   ({100 * k / c:.0f} % of cold)")


if __name__ == "__main__":
    main()
