"""WPS benchmark: Execute of a 1-point buffer via WPS vs the OGC API path for the same work.

    python bench/wps.py [--requests 400] [--concurrency 8] [--points 1] [--rounds 4]

Starts ``honua serve`` on a temporary data directory (SQLite, local worker
pool) and sends the same 100 m buffer of the same point(s) three ways,
interleaved in rounds so that drift hits all alike:

* WPS 1.0.0 XML: ``POST /wps`` with a ``wps:Execute`` (GeoJSON ComplexData,
  ``LiteralData uom="metre"``) and a ResponseDocument (what OWSLib sends);
* WPS 1.0.0 KVP: ``GET /wps?request=Execute&DataInputs=...&RawDataOutput=result``;
* OGC API - Processes: ``POST /api/processes/buffer/execution`` with GeoJSON.

Prints p50/p95 latency and requests/s of each, and the WPS/OGC ratio of the
p50 latencies (target: at most 1.5).
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

OGC_URL = "/api/processes/buffer/execution"


def features(n: int) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": i + 1, "properties": {},
         "geometry": {"type": "Point", "coordinates": [13.4 + i * 1e-3, 52.5]}} for i in range(n)]}


def ogc_body(n: int) -> bytes:
    return orjson.dumps({"inputs": {"features": features(n),
                                    "distance": {"value": 100, "unit": "meters"}}})


def wps_xml_body(n: int) -> bytes:
    return (
        '<wps:Execute service="WPS" version="1.0.0" xmlns:wps="http://www.opengis.net/wps/1.0.0" '
        'xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Identifier>buffer</ows:Identifier>'
        "<wps:DataInputs><wps:Input><ows:Identifier>features</ows:Identifier><wps:Data>"
        '<wps:ComplexData mimeType="application/geo+json"><![CDATA['
        + orjson.dumps(features(n)).decode()
        + "]]></wps:ComplexData></wps:Data></wps:Input><wps:Input><ows:Identifier>distance"
        '</ows:Identifier><wps:Data><wps:LiteralData uom="metre">100</wps:LiteralData></wps:Data>'
        "</wps:Input></wps:DataInputs><wps:ResponseForm><wps:ResponseDocument>"
        '<wps:Output mimeType="application/geo+json"><ows:Identifier>result</ows:Identifier>'
        "</wps:Output></wps:ResponseDocument></wps:ResponseForm></wps:Execute>").encode()


def wps_kvp_query(n: int) -> str:
    return "/wps?" + urlencode({
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "buffer",
        "DataInputs": f"features={orjson.dumps(features(n)).decode()};distance=100@uom=metre",
        "RawDataOutput": "result"})



async def _one(client: httpx.AsyncClient, method: str, url: str, body: bytes | None,
               headers: dict[str, str], check: str) -> float:
    started = time.perf_counter()
    response = await client.request(method, url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or check not in response.text:
        raise RuntimeError(f"{url[:60]} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def measure(base: str, case: tuple, requests: int, concurrency: int) -> tuple[list[float], float]:
    """Latencies of ``requests`` requests sent ``concurrency`` at a time, and the wall time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        semaphore = asyncio.Semaphore(concurrency)

        async def bounded() -> float:
            async with semaphore:
                return await _one(client, *case)

        started = time.perf_counter()
        latencies = await asyncio.gather(*(bounded() for _ in range(requests)))
        return list(latencies), time.perf_counter() - started


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per path")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--points", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    cases = {
        "WPS 1.0.0 XML": ("POST", "/wps", wps_xml_body(args.points),
                          {"Content-Type": "text/xml"}, "ProcessSucceeded"),
        "WPS 1.0.0 KVP raw": ("GET", wps_kvp_query(args.points), None, {}, "Polygon"),
        "OGC API": ("POST", OGC_URL, ogc_body(args.points),
                    {"Content-Type": "application/json"}, "Polygon"),
    }
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(data_dir, args.port)
        try:
            for case in cases.values():  # warm up every path
                asyncio.run(measure(base, case, 50, args.concurrency))
            latencies: dict[str, list[float]] = {name: [] for name in cases}
            walls = dict.fromkeys(cases, 0.0)
            per_round = max(1, args.requests // args.rounds)
            for _ in range(args.rounds):
                for name, case in cases.items():
                    found, wall = asyncio.run(measure(base, case, per_round, args.concurrency))
                    latencies[name] += found
                    walls[name] += wall
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"{args.points}-point 100 m buffer, {len(latencies['OGC API'])} requests per path, "
          f"concurrency {args.concurrency}, {args.rounds} interleaved rounds")
    p50 = {}
    for name, values in latencies.items():
        p50[name] = statistics.median(values)
        print(f"  {name:18s} p50 {p50[name] * 1000:7.2f} ms   p95 "
              f"{percentile(values, 95) * 1000:7.2f} ms   {len(values) / walls[name]:7.1f} req/s")
    for name in ("WPS 1.0.0 XML", "WPS 1.0.0 KVP raw"):
        print(f"  ratio {name} / OGC API (p50): {p50[name] / p50['OGC API']:.2f}  (target <= 1.50)")


if __name__ == "__main__":
    main()
