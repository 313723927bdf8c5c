"""Lean outputs: bytes on the wire and client memory for a 50k-point buffer result.

Runs a real ``honua serve``, submits an asynchronous 50,000-point buffer job, then
fetches its results the way a client did before issue 14 and the way it does now,
each fetch in a fresh client process so that its peak RSS is its own:

- before: no ``Accept-Encoding``, every digit (``?precision=15`` on a synchronous
  run, as the server wrote them before), whole body in memory, parsed, written
  indented (``json.dump(indent=2)``, what ``honua jobs`` did);
- after: gzip or Brotli, default precision (7 decimals), body streamed to the file
  as it arrives, decoded chunk by chunk.

Usage: ``python bench/lean_outputs.py [--points 50000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _server import run_job, start_server  # noqa: E402


def _points(n: int) -> dict:
    side = int(n ** 0.5) + 1
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point",
                                         "coordinates": [5 + (i % side) * 1e-3,
                                                         45 + (i // side) * 1e-3]},
         "properties": {"n": i}} for i in range(n)]}


def _client(mode: str, url: str, out: str) -> None:
    """One fetch, in its own process; prints wire bytes, file bytes and peak RSS (MB)."""
    wire = 0
    if mode == "before":  # a synchronous run with every digit: what the server wrote before
        request = Path(out).with_suffix(".request")
        response = httpx.post(url, content=request.read_bytes(), timeout=600,
                              headers={"Accept-Encoding": "identity",
                                       "Content-Type": "application/json"})
        wire = len(response.content)
        document = response.json()
        with open(out, "w") as f:
            json.dump(document, f, indent=2)
    else:
        coding = mode.split("-", 1)[1]
        decode = (zlib.decompressobj(16 + zlib.MAX_WBITS).decompress if coding == "gzip"
                  else None)
        if coding == "br":
            import brotli
            decode = brotli.Decompressor().process
        with httpx.stream("GET", url, headers={"Accept-Encoding": coding}, timeout=600) as r, \
                open(out, "wb") as f:
            for chunk in r.iter_raw():
                wire += len(chunk)
                f.write(decode(chunk) if decode is not None else chunk)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wire": wire, "file": Path(out).stat().st_size, "rss_mb": round(rss, 1)}))


def _measure(mode: str, url: str, folder: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--client", mode, url,
                          f"{folder}/{mode}.json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client", nargs=3, metavar=("MODE", "URL", "OUT"))
    args = parser.parse_args()
    if args.client:
        _client(*args.client)
        return
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(f"{folder}/data", args.port)
        base = f"http://127.0.0.1:{args.port}"
        try:
            body = {"inputs": {"features": _points(args.points),
                               "distance": {"value": 50, "unit": "meters"}}}
            began = time.monotonic()
            job = run_job(base, "buffer", body, timeout=600)
            print(f"{args.points} points buffered in {time.monotonic() - began:.1f} s")
            Path(f"{folder}/before.request").write_text(json.dumps(body))
            execute = f"{base}/api/processes/buffer/execution?precision=15"
            rows = [("before (17 digits, identity, indented)",
                     _measure("before", execute, folder))]
            results = f"{base}/api/jobs/{job}/results"
            for mode in ("after-identity", "after-gzip", "after-br"):
                rows.append((f"{mode} (7 decimals, streamed)", _measure(mode, results, folder)))
            print(f"{'fetch':<42} {'wire MB':>9} {'file MB':>9} {'client RSS MB':>14}")
            for name, row in rows:
                print(f"{name:<42} {row['wire'] / 1e6:>9.1f} {row['file'] / 1e6:>9.1f} "
                      f"{row['rss_mb']:>14.0f}")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
