"""Tier 2 vs tier 1 on layers held in PostGIS, and the bare SQL floor.

    python bench/postgis.py [--n 1000000] [--polygons 100000] [--pg "host=127.0.0.1 ..."]

Creates a throwaway database with PostGIS, loads ``--n`` random points and a grid of
``--polygons`` squares (50 zones), then for each of

1. buffer of every point by 100 m (geodesic: the layer is in WGS 84),
2. dissolve of every polygon by zone, with the sum and count of a value,

measures the wall time of an asynchronous OGC API job (submit to success, outputs
stored) pinned to tier ``postgis`` and to tier ``shapely``, each on a fresh ``honua
serve`` (so that peaks are its own), the peak RSS of the server and its workers
together (sampled every 50 ms over the process tree), and the same SQL statement run
bare in ``psql`` (rows fetched, output discarded): the floor for tier 2.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _server import start_server  # bench/ is on sys.path when run as a script

PG = os.environ.get("HONUA_TEST_PG") or "host=127.0.0.1 port=5432 user=postgres"


def psql(database: str, statement: str) -> float:
    """Seconds ``psql`` takes to run ``statement`` and fetch every row (printed nowhere)."""
    started = time.perf_counter()
    subprocess.run(["psql", f"{PG} dbname={database}", "-XAtq", "-o", "/dev/null", "-c",
                    statement], check=True)
    return time.perf_counter() - started


def load(database: str, n: int, polygons: int) -> None:
    side = max(1, int(polygons ** 0.5))
    subprocess.run(["psql", f"{PG} dbname=postgres", "-XAtqc", f'CREATE DATABASE "{database}"'],
                   check=True)
    psql(database, f"""
        CREATE EXTENSION postgis;
        CREATE TABLE points (id bigint PRIMARY KEY, kind text, geom geometry(Point, 4326));
        INSERT INTO points SELECT i, 'k' || (i % 10),
            ST_SetSRID(ST_MakePoint(10 + random() * 2, 50 + random()), 4326)
            FROM generate_series(1, {n}) AS i;
        CREATE TABLE parcels (id bigint PRIMARY KEY, zone text, value double precision,
                              geom geometry(Polygon, 4326));
        INSERT INTO parcels SELECT i * {side} + j + 1, 'z' || ((i + j) % 50), i + j,
            ST_MakeEnvelope(10 + i * 0.01, 50 + j * 0.01, 10.01 + i * 0.01, 50.01 + j * 0.01,
                            4326)
            FROM generate_series(0, {side - 1}) AS i, generate_series(0, {side - 1}) AS j;
        CREATE INDEX ON points USING gist (geom); CREATE INDEX ON parcels USING gist (geom);
        ANALYZE points; ANALYZE parcels;""")


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process descending from it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    members, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in members:
                members.add(child)
                frontier.append(child)
    total = 0
    for pid in members:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_job(database: str, process: str, inputs: dict, tier: str) -> tuple[float, int, str]:
    """(seconds, peak RSS bytes, tier reported) of one job on a fresh server."""
    params = dict(part.split("=", 1) for part in PG.split())
    url = (f"postgresql://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:"
           f"{params.get('port', '5432')}/{database}")
    layers = [{"id": "points", "url": url, "table": "public.points"},
              {"id": "parcels", "url": url, "table": "public.parcels"}]
    port = free_port()
    os.environ.update({"HONUA_LAYERS": json.dumps(layers), "HONUA_JOB_TIMEOUT_SECONDS": "3600",
                       "HONUA_MAX_VERTICES": "1000000000", "HONUA_JOB_MEMORY_MB": "16384"})
    with tempfile.TemporaryDirectory() as data:
        server = start_server(data, port)
        peak, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss(server.pid))
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=3600) as client:
                sampler.start()
                started = time.perf_counter()
                job = client.post(f"/api/processes/{process}/execution",
                                  json={"inputs": inputs, "tier": tier},
                                  headers={"Prefer": "respond-async"})
                job.raise_for_status()
                status = job.json()
                while status["status"] in ("accepted", "running"):
                    time.sleep(0.05)
                    status = client.get(f"/api/jobs/{status['jobID']}").json()
                seconds = time.perf_counter() - started
                if status["status"] != "successful":
                    raise RuntimeError(f"{process} on {tier}: {status}")
        finally:
            stop.set()
            server.terminate()
            server.wait(timeout=30)
    return seconds, peak[0], status.get("tier", "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="points to buffer")
    parser.add_argument("--polygons", type=int, default=100_000, help="polygons to dissolve")
    args = parser.parse_args()
    database = f"honua_bench_{os.getpid()}"
    print(f"loading {args.n:,} points and {args.polygons:,} polygons ...", flush=True)
    load(database, args.n, args.polygons)
    cases = [
        ("buffer", {"features": {"layerReference": {"collectionId": "points"}},
                    "distance": 100},
         "SELECT id, ST_AsBinary(ST_Buffer(geom::geography, 100, 'quad_segs=16')::geometry), "
         "kind FROM points ORDER BY id", f"{args.n:,} points"),
        ("dissolve", {"features": {"layerReference": {"collectionId": "parcels"}},
                      "dissolve_fields": ["zone"], "statistics_fields": ["value"],
                      "statistics": ["sum", "count"]},
         "SELECT ST_AsBinary(ST_Union(geom)), zone, sum(value), count(value) FROM parcels "
         "GROUP BY zone ORDER BY min(id)", f"{args.polygons:,} polygons"),
    ]
    try:
        for process, inputs, bare, what in cases:
            floor = psql(database, bare)
            print(f"\n{process} of {what}: bare SQL in psql {floor:.2f} s")
            for tier in ("postgis", "shapely"):
                seconds, rss, shown = run_job(database, process, inputs, tier)
                print(f"  tier {tier:8s} {seconds:8.2f} s  {seconds / floor:5.2f}x bare SQL  "
                      f"peak RSS server+workers {rss / 2**20:7.0f} MiB  (job tier: {shown})",
                      flush=True)
    finally:
        subprocess.run(["psql", f"{PG} dbname=postgres", "-XAtqc",
                        f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'], check=False)


if __name__ == "__main__":
    main()
