"""Engine benchmark: Honua side by side with the raw computation and a bare floor app.

    python bench/engine.py [--quick] [--skip-crash] [--processes N]
    python bench/engine.py --store [--pg URL]     # job store writes/s only
    python bench/engine.py --big [N]              # N points (100,000) on the three faces only

In one run, on the same inputs (buffer of N WGS 84 points by 100 m):

* raw   -- the computation in this process, no server (orjson + Honua's geodesic
           buffer + GeoJSON out);
* floor -- gunicorn (2 sync workers) around the same computation (``_floor_app.py``);
* honua -- ``honua serve`` on a fresh data directory (SQLite, local workers).

Rows (the engine issue's table): sync 1 point p50 over one keep-alive connection;
requests/s with 8 connections (wrk); sync 1,000 and 100,000 points as a multiple of
raw; peak RSS of the server and its workers during the 100,000-point request;
200 one-point async jobs per second (the floor answers them synchronously and keeps
nothing); jobs left stuck after kill -9 of the server with 40 jobs in flight. Then
the GPServer and WPS faces at 1 point (p50, req/s) and at 100,000 points.

Needs gunicorn (test extras) and wrk (Debian package ``wrk``; installed if missing
when running as root). Prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _floor_app import compute  # noqa: E402
from _server import rss_mib  # noqa: E402

# -- inputs -----------------------------------------------------------------------------------


def points(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-170, 170, n), rng.uniform(-70, 70, n)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
         "properties": {"i": i}} for i, (x, y) in enumerate(zip(lon, lat, strict=True))]}


def ogc_body(n: int) -> bytes:
    return orjson.dumps({"inputs": {"features": points(n),
                                    "distance": {"value": 100, "unit": "meters"}}})


def gp_body(n: int) -> bytes:
    from urllib.parse import urlencode

    features = [{"geometry": {"x": f["geometry"]["coordinates"][0],
                              "y": f["geometry"]["coordinates"][1]},
                 "attributes": f["properties"]} for f in points(n)["features"]]
    fs = {"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
          "features": features}
    return urlencode({"features": orjson.dumps(fs).decode(), "f": "json",
                      "distance": '{"distance": 100, "units": "esriMeters"}'}).encode()


def wps_body(n: int) -> bytes:
    geojson = orjson.dumps(points(n)).decode()
    return (
        '<wps:Execute service="WPS" version="1.0.0" xmlns:wps="http://www.opengis.net/wps/1.0.0" '
        'xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Identifier>buffer</ows:Identifier>'
        "<wps:DataInputs><wps:Input><ows:Identifier>features</ows:Identifier><wps:Data>"
        f'<wps:ComplexData mimeType="application/geo+json"><![CDATA[{geojson}]]></wps:ComplexData>'
        "</wps:Data></wps:Input><wps:Input><ows:Identifier>distance</ows:Identifier><wps:Data>"
        '<wps:LiteralData uom="metre">100</wps:LiteralData></wps:Data></wps:Input>'
        "</wps:DataInputs><wps:ResponseForm><wps:RawDataOutput mimeType=\"application/geo+json\">"
        "<ows:Identifier>result</ows:Identifier></wps:RawDataOutput></wps:ResponseForm>"
        "</wps:Execute>").encode()


FACES = {
    "ogcapi": ("/api/processes/buffer/execution", "application/json", ogc_body),
    "gpserver": ("/arcgis/rest/services/Geoprocessing/GPServer/Buffer/execute",
                 "application/x-www-form-urlencoded", gp_body),
    "wps": ("/wps", "text/xml", wps_body),
}

# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:g} s")


@contextmanager
def floor_server() -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout",
         "600", "--chdir", str(HERE), "--log-level", "warning", "_floor_app:app"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(port, "/")
        yield port, process
    finally:
        stop(process)


def honua_command(data_dir: str, port: int, processes: int | None) -> tuple[list[str], dict]:
    env = {**os.environ, "HONUA_DATA_DIR": data_dir, "HONUA_PORT": str(port)}
    command = [sys.executable, "-m", "honua", "serve"]
    if processes:
        command += ["--processes", str(processes)]
    return command, env


@contextmanager
def honua_server(processes: int | None, data_dir: str | None = None
                 ) -> Iterator[tuple[int, subprocess.Popen, str]]:
    folder = data_dir or tempfile.mkdtemp(prefix="honua-bench-")
    port = free_port()
    command, env = honua_command(folder, port, processes)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(port, "/api/conformance")
        yield port, process, folder
    finally:
        stop(process)
        if data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)


def treerss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and every process in its session, in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[3]) != pid and int(entry.name) != pid and int(stat[4]) != pid:
                continue  # neither the server, one of its children, nor in its group
            total += int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 1048576


# -- measurements -----------------------------------------------------------------------------


def post(conn: http.client.HTTPConnection, path: str, body: bytes, media: str,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers={"Content-Type": media, **(headers or {})})
    response = conn.getresponse()
    return response.status, response.read()


def p50_ms(port: int, path: str, body: bytes, media: str, requests: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(20):  # warm up
        post(conn, path, body, media)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = post(conn, path, body, media)
        times.append(time.perf_counter() - started)
        if status >= 400:
            raise RuntimeError(f"{path} answered {status}")
    return statistics.median(times) * 1000


def wrk_rps(port: int, path: str, body: bytes, media: str, seconds: int) -> float:
    """Requests/s with 8 connections, measured by wrk."""
    with tempfile.TemporaryDirectory() as folder:
        body_file = Path(folder, "body")
        body_file.write_bytes(body)
        script = Path(folder, "post.lua")
        script.write_text(
            f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{media}"\n'
            f'local f = io.open("{body_file}", "rb")\nwrk.body = f:read("*all")\nf:close()\n')
        done = subprocess.run(["wrk", "-t", "2", "-c", "8", "-d", f"{seconds}s", "-s",
                               str(script), f"http://127.0.0.1:{port}{path}"],
                              capture_output=True, text=True, check=True)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses from {path}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))


def timed(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def request_with_peak_rss(port: int, pid: int, path: str, body: bytes, media: str
                          ) -> tuple[float, float]:
    """Seconds for one request, and the peak RSS of the server tree while it ran."""
    import threading

    peak = [treerss_mib(pid)]
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            peak[0] = max(peak[0], treerss_mib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    status, _ = post(conn, path, body, media)
    seconds = time.perf_counter() - started
    running.clear()
    sampler.join()
    if status >= 400:
        raise RuntimeError(f"{path} answered {status}")
    return seconds, peak[0]


def async_jobs_per_second(port: int, jobs: int) -> tuple[float, int]:
    """Submit ``jobs`` one-point jobs from 8 connections, wait until all end."""
    from concurrent.futures import ThreadPoolExecutor

    body = ogc_body(1)
    path = FACES["ogcapi"][0]

    def submit(_: int) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, data = post(conn, path, body, "application/json", {"Prefer": "respond-async"})
        if status != 201:
            raise RuntimeError(f"submit answered {status}")
        return orjson.loads(data)["jobID"]

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(submit, range(jobs)))
    failed = wait_all(port, ids, timeout=300)
    return jobs / (time.perf_counter() - started), failed


def wait_all(port: int, ids: list[str], timeout: float) -> int:
    """Poll until every job ended; returns how many did not succeed."""
    deadline = time.monotonic() + timeout
    pending = set(ids)
    failed = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            conn.request("GET", f"/api/jobs/{job_id}")
            status = orjson.loads(conn.getresponse().read()).get("status")
            if status in ("successful", "failed", "dismissed"):
                pending.discard(job_id)
                failed += status != "successful"
        if pending:
            time.sleep(0.05)
    return failed + len(pending)


def stuck_after_crash(processes: int | None, in_flight: int = 40) -> int:
    """kill -9 the server with jobs in flight, restart it, count jobs that never end."""
    folder = tempfile.mkdtemp(prefix="honua-bench-crash-")
    body = ogc_body(20_000)  # long enough to be running at the kill
    ids: list[str] = []
    try:
        with honua_server(processes, folder) as (port, process, _):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            for _ in range(in_flight):
                status, data = post(conn, FACES["ogcapi"][0], body, "application/json",
                                    {"Prefer": "respond-async"})
                ids.append(orjson.loads(data)["jobID"])
            time.sleep(1.0)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)
        with honua_server(processes, folder) as (port, _, _):
            return wait_all(port, ids, timeout=600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def store_writes_per_second(url: str, jobs: int = 2000, threads: int = 4) -> dict[str, float]:
    """Writes/s of the job store: one-write records of sync runs (``create`` with their
    messages) and the state changes of a queued job (claim + compare-and-set finish),
    from ``threads`` threads, as front processes make them."""
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    from honua.core.context import MessageLevel
    from honua.core.jobs import Job, JobEvent, JobStatus, Message, new_job_id
    from honua.store.jobs_sql import SqlJobStore

    store = SqlJobStore(url)
    now = dt.datetime.now(dt.UTC)

    def record(_: int) -> None:
        job = Job(id=new_job_id(), process_id="buffer", created=now, updated=now)
        for event in (JobEvent.SUBMIT, JobEvent.START, JobEvent.SUCCEED):
            job = job.apply(event, now)
        store.create(job, [Message(now, MessageLevel.INFO, "Succeeded in 0.00 s")])

    def queued(_: int) -> None:
        job = Job(id=new_job_id(), process_id="buffer", created=now, updated=now)
        store.create(job.apply(JobEvent.SUBMIT, now))
        claimed = store.claim_next(now, front="bench")
        if claimed is not None:
            store.update(claimed.apply(JobEvent.SUCCEED, now), expected=JobStatus.RUNNING)

    figures = {}
    for name, work, writes in (("sync record", record, 1), ("queued job", queued, 3)):
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(jobs)))
        figures[name] = jobs * writes / (time.perf_counter() - started)
    store.close()
    return figures


def store_main(pg_url: str | None) -> None:
    folder = tempfile.mkdtemp(prefix="honua-bench-store-")
    targets = {"SQLite (WAL, synchronous=NORMAL)": f"sqlite:///{folder}/honua.db"}
    if pg_url:
        targets["PostgreSQL"] = pg_url
    try:
        for name, url in targets.items():
            figures = store_writes_per_second(url)
            print(f"{name:34s} " + "  ".join(f"{k}: {v:,.0f} writes/s" for k, v in
                                             figures.items()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the run ----------------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for requests/s: apt-get install wrk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, 10k not 100k")
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--processes", type=int, default=None,
                        help="honua serve --processes N (default: the server's default)")
    parser.add_argument("--store", action="store_true", help="job store writes/s only")
    parser.add_argument("--pg", default=None, help="with --store: a PostgreSQL URL as well")
    parser.add_argument("--big", type=int, nargs="?", const=100_000, default=None,
                        help="only N points on the three faces (time, x raw, peak RSS)")
    args = parser.parse_args()
    if args.store:
        store_main(args.pg)
        return
    if args.big:
        big_main(args.big, args.processes)
        return
    ensure_wrk()
    requests, seconds = (200, 5) if args.quick else (1000, 10)
    big = 10_000 if args.quick else 100_000
    rows: dict[str, dict[str, str]] = {}

    bodies = {n: ogc_body(n) for n in (1, 1000, big)}
    raw = {n: timed(lambda b=bodies[n]: compute(b), 50 if n == 1 else 3) for n in bodies}
    rows["sync 1 pt p50 (ms)"] = {"raw": f"{raw[1] * 1000:.2f}"}
    path, media, _ = FACES["ogcapi"]

    with floor_server() as (port, process):
        floor_p50 = p50_ms(port, "/", bodies[1], media, requests)
        floor_rps = wrk_rps(port, "/", bodies[1], media, seconds)
        floor_1k = timed(lambda: post(http.client.HTTPConnection("127.0.0.1", port, timeout=600),
                                      "/", bodies[1000], media), 5)
        floor_big, floor_rss = request_with_peak_rss(port, process.pid, "/", bodies[big], media)
    rows["sync 1 pt p50 (ms)"]["floor"] = f"{floor_p50:.2f}"
    rows["sync 1 pt req/s, 8 connections"] = {"floor": f"{floor_rps:,.0f}"}
    rows["sync 1,000 pts x raw"] = {"raw": "1", "floor": f"{floor_1k / raw[1000]:.2f}"}
    rows[f"sync {big:,} pts x raw"] = {"raw": f"1 ({raw[big]:.2f} s)",
                                       "floor": f"{floor_big / raw[big]:.2f}"}
    rows[f"peak RSS at {big:,} (MiB)"] = {"floor": f"{floor_rss:,.0f}"}

    with honua_server(args.processes) as (port, process, _):
        honua_p50 = p50_ms(port, path, bodies[1], media, requests)
        honua_rps = wrk_rps(port, path, bodies[1], media, seconds)
        honua_1k = timed(lambda: post(http.client.HTTPConnection("127.0.0.1", port, timeout=600),
                                      path, bodies[1000], media), 5)
        honua_big, honua_rss = request_with_peak_rss(port, process.pid, path, bodies[big], media)
        jobs_rate, jobs_failed = async_jobs_per_second(port, 200)
        faces = {}
        for face, (face_path, face_media, make) in FACES.items():
            one, many = make(1), make(big)
            faces[face] = (p50_ms(port, face_path, one, face_media, requests // 2),
                           wrk_rps(port, face_path, one, face_media, seconds),
                           request_with_peak_rss(port, process.pid, face_path, many, face_media))
    rows["sync 1 pt p50 (ms)"]["honua"] = f"{honua_p50:.2f}"
    rows["sync 1 pt req/s, 8 connections"]["honua"] = f"{honua_rps:,.0f}"
    rows["sync 1,000 pts x raw"]["honua"] = f"{honua_1k / raw[1000]:.2f}"
    rows[f"sync {big:,} pts x raw"]["honua"] = f"{honua_big / raw[big]:.2f}"
    rows[f"peak RSS at {big:,} (MiB)"]["honua"] = f"{honua_rss:,.0f}"
    floor_async = 200 / async_floor(bodies[1])
    rows["async 200 x 1 pt, jobs/s"] = {"floor": f"{floor_async:,.0f} (sync, kept nothing)",
                                        "honua": f"{jobs_rate:,.0f} ({jobs_failed} not ok)"}
    if not args.skip_crash:
        rows["kill -9 with 40 jobs in flight -> stuck"] = {
            "honua": str(stuck_after_crash(args.processes))}
    print_table(rows)
    print("\nfaces (honua):")
    for face, (p50, rps, (seconds_big, rss)) in faces.items():
        print(f"  {face:9s} 1 pt p50 {p50:6.2f} ms  {rps:8,.0f} req/s  "
              f"{big:,} pts {seconds_big:6.2f} s ({seconds_big / raw[big]:.2f} x raw), "
              f"peak RSS {rss:,.0f} MiB")
    print(json.dumps({"rows": rows}, indent=None))


def big_main(n: int, processes: int | None) -> None:
    """N points on each face of one fresh server (``--processes 1``, so that the front
    measured is the one that answers): seconds, x raw, peak RSS of the front alone and of
    the whole server (front + workers), and the front's RSS after the request."""
    import threading

    raw = timed(lambda: compute(ogc_body(n)), 1)
    print(f"raw {n:,} pts: {raw:.2f} s")
    with honua_server(processes or 1) as (port, process, _):
        fronts = [pid for pid in _session_pids(process.pid) if _is_front(pid)] or [process.pid]
        for face, (path, media, make) in FACES.items():
            body = make(n)
            before = sum(rss_mib(pid) for pid in fronts)
            front_peak = [before]
            running = [True]

            def sample(running: list[bool] = running, peak: list[float] = front_peak) -> None:
                while running[0]:
                    peak[0] = max(peak[0], sum(rss_mib(pid) for pid in fronts))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            seconds, tree = request_with_peak_rss(port, process.pid, path, body, media)
            running[0] = False
            sampler.join()
            after = sum(rss_mib(pid) for pid in fronts)
            print(f"  {face:9s} {seconds:6.2f} s ({seconds / raw:.2f} x raw)  front RSS "
                  f"{before:,.0f} -> peak {front_peak[0]:,.0f} -> after {after:,.0f} MiB; "
                  f"server tree peak {tree:,.0f} MiB")


def _session_pids(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == pid or int(stat[3]) == pid or int(stat[4]) == pid:
                found.append(int(entry.name))
    return found


def _is_front(pid: int) -> bool:
    try:
        return b"honua.executors.worker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def async_floor(body: bytes) -> float:
    """Seconds the floor takes for the 200 requests, answered synchronously from 8
    connections (what 'async' costs with no job record at all)."""
    from concurrent.futures import ThreadPoolExecutor

    with floor_server() as (port, _):
        def one(_: int) -> None:
            post(http.client.HTTPConnection("127.0.0.1", port, timeout=60), "/", body,
                 "application/json")

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(200)))
        return time.perf_counter() - started


def print_table(rows: dict[str, dict[str, str]]) -> None:
    columns = ("raw", "floor", "honua", "honua / floor")
    print(f"{'':42s}" + "".join(f"{c:>28s}" for c in columns))
    for name, values in rows.items():
        values = {**values, "honua / floor": _ratio(values.get("honua"), values.get("floor"))}
        print(f"{name:42s}" + "".join(f"{values.get(c, '-'):>28s}" for c in columns))


def _ratio(honua: str | None, floor: str | None) -> str:
    number = re.compile(r"[\d,.]+")
    if not honua or not floor or not number.match(honua) or not number.match(floor):
        return "-"
    first = float(number.match(honua).group().replace(",", ""))
    second = float(number.match(floor).group().replace(",", ""))
    return f"{first / second:.2f}" if second else "-"


if __name__ == "__main__":
    main()
