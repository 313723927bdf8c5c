"""Catalog benchmark: buffer over a layer reference (chunked) vs the same points sent inline.

    python bench/catalog.py [--sizes 100000 1000000] [--chunk 50000] [--timeout 1800]

For each size N it writes N random points into a GeoPackage layer, then, each
time on a fresh ``honua serve`` (embedded default: SQLite, local worker pool),
runs one asynchronous 100 m ``buffer`` job:

* ``layer``  -- ``{"layerReference": "points"}``: the feature-wise buffer runs
  chunk by chunk (catalog stream -> worker -> GeoJSON artifact);
* ``inline`` -- the same points as one GeoJSON FeatureCollection in the request
  body (the OGC API path without the catalog).

It reports the wall time until the job has succeeded, the peak resident memory
of the server process and of the largest worker (their ``VmHWM``), and the
peak of server + workers together (sampled every 0.2 s), then the ratios
inline / layer. An inline run that fails (out of memory, time limit, body
limit) is reported as such: that is what the layer reference avoids.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
import shapely
from pyogrio import raw

BUFFER = {"distance": {"value": 100, "unit": "meters"}}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_points(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-170, 170, n), rng.uniform(-60, 60, n)
    geometry = np.asarray(shapely.to_wkb(shapely.points(lon, lat)), dtype=object)
    raw.write(str(path), geometry, [np.arange(n, dtype=np.int64)], ["n"], driver="GPKG",
              geometry_type="Point", crs="EPSG:4326", layer="points")


def inline_body(n: int, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-170, 170, n), rng.uniform(-60, 60, n)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
                 "properties": {"n": i}}
                for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True))]
    return orjson.dumps({"inputs": {"features": {"type": "FeatureCollection",
                                                 "features": features}, **BUFFER}})


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Peak RSS of a process tree: per process (VmHWM) and of the sum (sampled)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.sample()

    def sample(self) -> None:
        pids = _tree(self.pid)
        self.peak_total = max(self.peak_total, sum(_status_kb(p, "VmRSS") for p in pids))
        for p in pids:
            self.peaks[p] = max(self.peaks.get(p, 0), _status_kb(p, "VmHWM"))


class Server:
    def __init__(self, data: Path, layers: Path, chunk: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HONUA_DATA_DIR": str(data), "HONUA_LAYERS_DIR": str(layers),
               "HONUA_WORKERS": "2", "HONUA_MAX_BODY_MB": "4000", "HONUA_JOB_MEMORY_MB": "16000",
               "HONUA_CHUNK_FEATURES": str(chunk), "HONUA_JOB_TIMEOUT_SECONDS": "3600"}
        self.log = data.parent / f"{data.name}.log"
        with self.log.open("wb") as log:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen([sys.executable, "-m", "honua", "serve", "--port",
                                             str(self.port)], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.base}/api/conformance", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_job(base: str, body: bytes, timeout: float) -> tuple[str, str]:
    try:
        return _run_job(base, body, timeout)
    except httpx.HTTPError as exc:  # the server died (e.g. killed for memory): a result too
        return "server died", f"{type(exc).__name__}: {exc}"


def _run_job(base: str, body: bytes, timeout: float) -> tuple[str, str]:
    with httpx.Client(timeout=timeout) as client:
        response = client.post(f"{base}/api/processes/buffer/execution", content=body,
                               headers={"Content-Type": "application/json",
                                        "Prefer": "respond-async"})
        if response.status_code != 201:
            return "refused", f"{response.status_code}: {response.text[:200]}"
        job = response.json()["jobID"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = client.get(f"{base}/api/jobs/{job}").json()
            if info["status"] in ("successful", "failed", "dismissed"):
                return info["status"], info.get("message", "")
            time.sleep(0.25)
        return "timed out", f"still running after {timeout:g} s"


def scenario(kind: str, n: int, work: Path, chunk: int, timeout: float) -> dict[str, object]:
    data = work / f"data-{kind}-{n}"
    server = Server(data, work / f"layers-{n}", chunk)
    sampler = Sampler(server.process.pid)
    try:
        body = (orjson.dumps({"inputs": {"features": {"layerReference": "points"}, **BUFFER}})
                if kind == "layer" else inline_body(n))
        sampler.start()
        started = time.monotonic()
        status, message = run_job(server.base, body, timeout)
        seconds = time.monotonic() - started
        sampler.sample()
        if status == "server died":
            server.process.wait(timeout=30)
            tail = server.log.read_bytes()[-300:].decode(errors="replace")
            message += f" (exit code {server.process.returncode}; log: {tail})"
    finally:
        sampler.stop.set()
        server.close()
    worker_peaks = [kb for pid, kb in sampler.peaks.items() if pid != server.process.pid]
    return {"kind": kind, "n": n, "status": status, "message": message, "seconds": seconds,
            "server_mb": sampler.peaks.get(server.process.pid, 0) / 1024,
            "worker_mb": max(worker_peaks, default=0) / 1024,
            "total_mb": sampler.peak_total / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--skip-inline-above", type=int, default=0,
                        help="skip the inline run for sizes above this (0 = run all)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="honua-bench-catalog-") as tmp:
        work = Path(tmp)
        for n in args.sizes:
            (work / f"layers-{n}").mkdir()
            write_points(work / f"layers-{n}" / "points.gpkg", n)
            for kind in ("layer", "inline"):
                if kind == "inline" and args.skip_inline_above and n > args.skip_inline_above:
                    continue
                row = scenario(kind, n, work, args.chunk, args.timeout)
                rows.append(row)
                print(f"  {kind:>6} {n:>9,}: {row['status']} in {row['seconds']:.1f} s "
                      f"{row['message'][:80] if row['status'] != 'successful' else ''}",
                      file=sys.stderr, flush=True)
    print(f"\nbuffer 100 m, async job, chunk {args.chunk:,} features, 2 workers\n")
    print(f"{'input':<8}{'points':>11}{'status':>12}{'time s':>9}{'server MB':>11}"
          f"{'worker MB':>11}{'total MB':>10}")
    for row in rows:
        print(f"{row['kind']:<8}{row['n']:>11,}{row['status']:>12}{row['seconds']:>9.1f}"
              f"{row['server_mb']:>11.0f}{row['worker_mb']:>11.0f}{row['total_mb']:>10.0f}")
    print()
    for n in args.sizes:
        pair = {r["kind"]: r for r in rows if r["n"] == n}
        if "layer" in pair and "inline" in pair and pair["inline"]["status"] == "successful":
            layer, inline = pair["layer"], pair["inline"]
            print(f"{n:>9,} points: inline/layer time {inline['seconds'] / layer['seconds']:.2f}x, "
                  f"peak memory (server+workers) {inline['total_mb'] / layer['total_mb']:.2f}x")
        elif "inline" in pair:
            print(f"{n:>9,} points: inline run {pair['inline']['status']}: "
                  f"{pair['inline']['message'][:120]}")


if __name__ == "__main__":
    main()
