"""GPServer benchmark: ``execute`` of a 1-point buffer vs the OGC API path for the same work.

    python bench/gpserver.py [--requests 400] [--concurrency 8] [--points 1]

Starts ``honua serve`` on a temporary data directory (SQLite, local worker
pool) and sends the same 100 m buffer of the same point(s) two ways, interleaved
in rounds so that drift hits both alike:

* GPServer: ``POST .../Geoprocessing/GPServer/Buffer/execute``, form-encoded
  Esri feature set and ``{"distance": 100, "units": "esriMeters"}``, ``f=json``
  (what the ArcGIS clients send);
* OGC API - Processes: ``POST /api/processes/buffer/execution`` with GeoJSON.

Prints p50/p95 latency and requests/s of each, and the GPServer/OGC ratio of
the p50 latencies (target: at most 1.2).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from urllib.parse import urlencode

import httpx
import orjson
from _server import start_server  # bench/ is on sys.path when run as a script

GP_URL = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer/execute"
OGC_URL = "/api/processes/buffer/execution"


def gp_body(n: int) -> bytes:
    features = [{"geometry": {"x": 13.4 + i * 1e-3, "y": 52.5}, "attributes": {"OBJECTID": i + 1}}
                for i in range(n)]
    feature_set = {"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
                   "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID"}],
                   "features": features}
    return urlencode({"features": orjson.dumps(feature_set).decode(),
                      "distance": '{"distance":100,"units":"esriMeters"}', "f": "json"}).encode()


def ogc_body(n: int) -> bytes:
    features = [{"type": "Feature", "id": i + 1, "properties": {},
                 "geometry": {"type": "Point", "coordinates": [13.4 + i * 1e-3, 52.5]}}
                for i in range(n)]
    return orjson.dumps({"inputs": {"features": {"type": "FeatureCollection",
                                                 "features": features},
                                    "distance": {"value": 100, "unit": "meters"}}})



async def _one(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
               check: str) -> float:
    started = time.perf_counter()
    response = await client.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or check not in response.text:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def measure(base: str, url: str, body: bytes, headers: dict[str, str], check: str,
                  requests: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies of ``requests`` requests sent ``concurrency`` at a time, and the wall time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        semaphore = asyncio.Semaphore(concurrency)

        async def bounded() -> float:
            async with semaphore:
                return await _one(client, url, body, headers, check)

        started = time.perf_counter()
        latencies = await asyncio.gather(*(bounded() for _ in range(requests)))
        return list(latencies), time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per protocol")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--points", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    cases = {
        "GPServer execute": (GP_URL, gp_body(args.points),
                             {"Content-Type": "application/x-www-form-urlencoded"}, "rings"),
        "OGC API execution": (OGC_URL, ogc_body(args.points),
                              {"Content-Type": "application/json"}, "Polygon"),
    }
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(data_dir, args.port)
        try:
            for url, body, headers, check in cases.values():  # warm up both paths
                asyncio.run(measure(base, url, body, headers, check, 50, args.concurrency))
            latencies: dict[str, list[float]] = {name: [] for name in cases}
            walls: dict[str, float] = dict.fromkeys(cases, 0.0)
            per_round = max(1, args.requests // args.rounds)
            for _ in range(args.rounds):
                for name, (url, body, headers, check) in cases.items():
                    found, wall = asyncio.run(measure(base, url, body, headers, check, per_round,
                                                      args.concurrency))
                    latencies[name] += found
                    walls[name] += wall
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"{args.points}-point 100 m buffer, {len(latencies['GPServer execute'])} requests per "
          f"protocol, concurrency {args.concurrency}, {args.rounds} interleaved rounds")
    p50 = {}
    for name, values in latencies.items():
        p50[name] = statistics.median(values)
        print(f"  {name:18s} p50 {p50[name] * 1000:7.2f} ms   p95 "
              f"{percentile(values, 95) * 1000:7.2f} ms   {len(values) / walls[name]:7.1f} req/s")
    ratio = p50["GPServer execute"] / p50["OGC API execution"]
    print(f"  ratio GPServer / OGC API (p50): {ratio:.2f}  (target <= 1.20)")


if __name__ == "__main__":
    main()
