"""GPServer job results as Esri JSON: streamed batch by batch (``f=json``) vs built whole.

    python bench/gp_results.py [--points 100000]

Runs a real ``honua serve --processes 1`` on a fresh data directory, buffers ``--points``
WGS 84 points by 50 m as an asynchronous job, then fetches the job's result from the
GPServer face twice:

* ``f=json``  -- written from the stored GeoJSON ``BATCH`` features at a time
  (``adapters.gpserver.streamed_featureset``);
* ``f=pjson`` -- the whole way (every output decoded into a collection, the feature set
  built as Python objects, serialised; indented, so its body is bigger).

For each: seconds to the last byte, MB on the wire, and the growth of the front process's
RSS over its level before the request (sampled every 20 ms). The raw floor is the whole
conversion in this process with no server: the stored GeoJSON read into a collection,
written as a GP feature set and serialised (``read_features`` + ``write_features`` +
``orjson.dumps``), its time and its own peak RSS growth.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.servers import free_port  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from _server import rss_mib, run_job, start_server  # noqa: E402

from honua.core.esri_outputs import write_features  # noqa: E402
from honua.core.esri_values import EsriEncoding  # noqa: E402
from honua.core.parameters import DataType, Parameter  # noqa: E402
from honua.geo.geojson import read_features  # noqa: E402

TASK = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer"


class Peak(threading.Thread):
    """The highest RSS of ``pid`` while it runs (sampled)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, rss_mib(self.pid))


def _points(n: int) -> dict:
    side = int(n ** 0.5) + 1
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point",
                                         "coordinates": [5 + (i % side) * 1e-3,
                                                         45 + (i // side) * 1e-3]},
         "properties": {"n": i, "name": f"point {i}"}} for i in range(n)]}


def _fetch(base: str, url: str, pid: int) -> tuple[float, int, float]:
    """Seconds to the last byte, bytes, front RSS growth (MiB) of one GET."""
    before = rss_mib(pid)
    peak = Peak(pid)
    peak.start()
    began = time.perf_counter()
    size = 0
    with httpx.stream("GET", base + url, timeout=900) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            size += len(chunk)
    elapsed = time.perf_counter() - began
    peak.done.set()
    peak.join()
    return elapsed, size, max(0.0, peak.peak - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(f"{folder}/data", port, processes=1, env={
            "HONUA_WORKERS": "2", "HONUA_MAX_BODY_MB": "2000", "HONUA_JOB_MEMORY_MB": "16000",
            "HONUA_JOB_TIMEOUT_SECONDS": "3600"})
        try:
            body = {"inputs": {"features": _points(args.points),
                               "distance": {"value": 50, "unit": "meters"}}}
            job = run_job(base, "buffer", body)
            stored = httpx.get(f"{base}/api/jobs/{job}/results/result", timeout=900).content
            url = f"{TASK}/jobs/{job}/results/result"
            rows = [("f=json (streamed)", _fetch(base, f"{url}?f=json", server.pid)),
                    ("f=pjson (whole)", _fetch(base, f"{url}?f=pjson", server.pid))]
        finally:
            server.terminate()
            server.wait(30)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    collection = read_features(stored, where="the result")
    parameter = Parameter("result", DataType.FEATURES)
    document = orjson.dumps(write_features(parameter, collection,
                                           EsriEncoding(maximum_records=10**9)),
                            option=orjson.OPT_SERIALIZE_NUMPY)
    floor = time.perf_counter() - began
    floor_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak_before
    print(f"{args.points} buffered points; stored GeoJSON {len(stored) / 1e6:.0f} MB, "
          f"feature set {len(document) / 1e6:.0f} MB")
    print(f"{'answer':<22} {'seconds':>8} {'x floor':>8} {'MB':>7} {'front RSS +MiB':>15}")
    for name, (seconds, size, growth) in rows:
        print(f"{name:<22} {seconds:8.2f} {seconds / floor:8.2f} {size / 1e6:7.0f} "
              f"{growth:15.0f}")
    print(f"{'raw floor (in process)':<22} {floor:8.2f} {1:8.2f} {len(document) / 1e6:7.0f} "
          f"{floor_rss:15.0f}")


if __name__ == "__main__":
    main()
