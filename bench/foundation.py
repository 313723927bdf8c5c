"""Foundation benchmark: OGC API - Processes on the embedded default vs the raw floor.

    python bench/foundation.py [--requests 400] [--points 100000] [--jobs 1000]

Starts ``honua serve`` on a temporary data directory (SQLite, local worker
pool), then measures:

1. sync 1-point buffer: p50/p95 latency and requests/s at concurrency 8;
2. a 100,000-point buffer end to end (one sync request, GeoJSON in and out);
3. 1,000 trivial async jobs submitted and completed: jobs/s and how many were lost.

The floor is the same work with no server: orjson parse + Honua's geodesic
buffer + GeoJSON serialisation in one process. Prints figures and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
from _server import start_server  # bench/ is on sys.path when run as a script

from honua.geo.buffer import buffer
from honua.geo.geojson import read_features, write_features

HERE = Path(__file__).resolve().parent


def points_request(n: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(-170, 170, n).tolist()
    lat = rng.uniform(-70, 70, n).tolist()
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"i": i}} for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    return orjson.dumps({"inputs": {"features": {"type": "FeatureCollection", "features": features},
                                    "distance": {"value": 100, "unit": "meters"}}})


def floor(body: bytes) -> bytes:
    """The same work with no server: parse, buffer on the ground, serialise."""
    document = orjson.loads(body)
    collection = read_features(document["inputs"]["features"])
    polygons = buffer(collection.geometry, 100.0, collection.crs)
    return write_features(collection.with_geometry(polygons))


def time_floor(body: bytes, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        floor(body)
        times.append(time.perf_counter() - t)
    return times



async def sync_latency(base: str, body: bytes, requests: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        queue = list(range(requests))

        async def worker() -> None:
            while queue:
                queue.pop()
                t = time.perf_counter()
                r = await client.post("/api/processes/buffer/execution", content=body,
                                      headers={"Content-Type": "application/json"})
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - start


async def async_jobs(base: str, body: bytes, jobs: int, concurrency: int) -> tuple[float, int, int]:
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        queue = list(range(jobs))

        async def submitter() -> None:
            while queue:
                queue.pop()
                r = await client.post("/api/processes/buffer/execution", content=body,
                                      headers={"Content-Type": "application/json",
                                               "Prefer": "respond-async"})
                r.raise_for_status()
                ids.append(r.json()["jobID"])

        start = time.perf_counter()
        await asyncio.gather(*(submitter() for _ in range(concurrency)))
        pending = set(ids)
        succeeded = 0
        deadline = time.monotonic() + 600
        while pending and time.monotonic() < deadline:
            r = await client.get("/api/jobs", params={"limit": 10000, "status": "successful"})
            done = {j["jobID"] for j in r.json()["jobs"]} & pending
            succeeded += len(done)
            pending -= done
            if pending:
                await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - start
        return elapsed, succeeded, len(pending)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    one = points_request(1)
    big = points_request(args.points)
    floor_one = time_floor(one, 200)
    floor_big = statistics.median(time_floor(big, 3))

    port = 18000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(data_dir, port)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(sync_latency(base, one, 20, 2))  # warm-up
            latencies, elapsed = asyncio.run(
                sync_latency(base, one, args.requests, args.concurrency))
            t = time.perf_counter()
            r = httpx.post(f"{base}/api/processes/buffer/execution", content=big, timeout=600,
                           headers={"Content-Type": "application/json"})
            r.raise_for_status()
            big_time = time.perf_counter() - t
            job_time, succeeded, lost = asyncio.run(
                async_jobs(base, one, args.jobs, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"{'measure':<44}{'server':>12}{'floor':>12}{'ratio':>8}")
    print(f"{'sync 1-point buffer p50 (ms)':<44}{pct(latencies, 50):>12.2f}"
          f"{pct(floor_one, 50):>12.3f}{pct(latencies, 50) / pct(floor_one, 50):>8.1f}")
    print(f"{'sync 1-point buffer p95 (ms)':<44}{pct(latencies, 95):>12.2f}"
          f"{pct(floor_one, 95):>12.3f}{pct(latencies, 95) / pct(floor_one, 95):>8.1f}")
    rps = len(latencies) / elapsed
    print(f"{f'sync requests/s at concurrency {args.concurrency}':<44}{rps:>12.1f}"
          f"{1 / statistics.mean(floor_one):>12.1f}")
    print(f"{f'{args.points:,}-point buffer end to end (s)':<44}{big_time:>12.2f}"
          f"{floor_big:>12.2f}{big_time / floor_big:>8.2f}")
    print(f"{f'{args.jobs} async jobs: jobs/s':<44}{succeeded / job_time:>12.1f}")
    print(f"{f'{args.jobs} async jobs: lost':<44}{lost:>12d}")


if __name__ == "__main__":
    main()
