"""A live ``honua serve`` keeps its memory when one request is huge (issue 10): a sync buffer of
one 1,000,000-vertex polygon runs in a memory-limited worker, never on the in-process fast path,
and a request past ``max_vertices`` is refused with 413. The 40 MB body is not decoded in
the server process either (its GeoJSON goes to the worker as text, ``core.json_text``) nor the
output encoded there, and freed big buffers go back to the system (``web/malloc.py``).
Measured: RSS 194 -> 197 MB (peak 440 MB) for the 1,000,000-vertex buffer. The GPServer face
likewise (its Esri JSON feature set read in the worker, which writes the Esri JSON answer,
``core.esri_values``/``core.esri_outputs``): 202 -> 206 MB, peak 364 MB (before: 202 -> 314,
peak 663); WPS inline GeoJSON ComplexData too."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode

import httpx
import orjson
import pytest

from tests.support.servers import free_port


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _polygon(vertices: int) -> dict:
    ring = [[round(10 * math.cos(2 * math.pi * i / vertices), 7),
             round(10 * math.sin(2 * math.pi * i / vertices), 7)] for i in range(vertices)]
    ring.append(ring[0])
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "big"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


@pytest.fixture
def server(tmp_path):
    """``honua serve`` in a process of its own on 127.0.0.1 (bounded start-up)."""
    port = free_port()
    env = {**os.environ, "HONUA_DATA_DIR": str(tmp_path / "data"), "HONUA_WORKERS": "1",
           "HONUA_MAX_VERTICES": "2000000", "HONUA_JOB_TIMEOUT_SECONDS": "120"}
    # one front process, so that the pid measured is the one that answers (with several,
    # it would be uvicorn's supervisor, which holds no request)
    process = subprocess.Popen([sys.executable, "-m", "honua", "serve", "--port", str(port),
                                "--processes", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    yield base, process.pid
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_server_memory_of_a_million_vertex_buffer_stays_flat(server):
    base, pid = server
    small = {"inputs": {"features": _polygon(50), "distance": {"value": 1, "unit": "meters"}}}
    assert httpx.post(f"{base}/api/processes/buffer/execution", json=small,
                      timeout=60).status_code == 200  # everything imported and warm
    body = orjson.dumps({"inputs": {"features": _polygon(1_000_000),
                                    "distance": {"value": 1, "unit": "meters"}}})
    before = _rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(_rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    answer = httpx.post(f"{base}/api/processes/buffer/execution", content=body, timeout=180,
                        headers={"Content-Type": "application/json"})
    done.set()
    sampler.join()
    after = _rss_mb(pid)
    print(f"RSS before {before:.0f} MB, peak {max(peak):.0f} MB, after {after:.0f} MB, "
          f"{time.monotonic() - started:.1f} s, HTTP {answer.status_code}")
    assert answer.status_code in (200, 413), answer.text[:500]
    assert after - before < 50


def _esri_polygon(vertices: int) -> dict:
    ring = _polygon(vertices)["features"][0]["geometry"]["coordinates"][0]
    return {"geometryType": "esriGeometryPolygon", "spatialReference": {"wkid": 4326},
            "fields": [{"name": "name", "type": "esriFieldTypeString"}],
            "features": [{"attributes": {"name": "big"}, "geometry": {"rings": [ring[::-1]]}}]}


def _measured(pid: int, send) -> tuple[httpx.Response, float, float, float]:
    """``send()``'s answer and the front's RSS before, at its peak and after (MB)."""
    before = _rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(_rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        answer = send()
    finally:
        done.set()
        sampler.join()
    return answer, before, max(peak), _rss_mb(pid)


GP_BUFFER = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer/execute"
METERS = orjson.dumps({"distance": 1, "units": "esriMeters"}).decode()


def test_gpserver_memory_of_a_million_vertex_buffer_stays_flat(server):
    """The GPServer face: the feature set (form-encoded Esri JSON) is read in the worker,
    which writes the Esri JSON answer; the front answers with its bytes."""
    base, pid = server
    small = {"features": orjson.dumps(_esri_polygon(50)).decode(), "distance": METERS,
             "f": "json"}
    warm = httpx.post(f"{base}{GP_BUFFER}", data=small, timeout=60).json()
    assert warm["results"][0]["value"]["features"], warm  # everything imported and warm
    body = urlencode({"features": orjson.dumps(_esri_polygon(1_000_000)).decode(),
                      "distance": METERS, "f": "json"}).encode()
    started = time.monotonic()
    answer, before, peak, after = _measured(pid, lambda: httpx.post(
        f"{base}{GP_BUFFER}", content=body, timeout=180,
        headers={"Content-Type": "application/x-www-form-urlencoded"}))
    print(f"GPServer RSS before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB, "
          f"{time.monotonic() - started:.1f} s, {len(answer.content) / 1e6:.0f} MB answered")
    document = answer.json()
    assert "error" not in document, str(document)[:500]
    (feature,) = document["results"][0]["value"]["features"]
    assert len(feature["geometry"]["rings"][0]) > 100_000  # the buffer of the whole ring
    assert after - before < 50
    assert peak - before < 400  # the body and the answer as bytes, never as objects


def test_wps_memory_of_a_million_vertex_buffer_stays_flat(server):
    """The WPS face: inline GeoJSON ComplexData decoded in the worker, its GeoJSON answer
    written there and answered as it is."""
    base, pid = server
    geojson = orjson.dumps(_polygon(1_000_000)).decode()
    body = (
        '<wps:Execute service="WPS" version="1.0.0" xmlns:wps="http://www.opengis.net/wps/1.0.0"'
        ' xmlns:ows="http://www.opengis.net/ows/1.1"><ows:Identifier>buffer</ows:Identifier>'
        "<wps:DataInputs><wps:Input><ows:Identifier>features</ows:Identifier><wps:Data>"
        f'<wps:ComplexData mimeType="application/geo+json"><![CDATA[{geojson}]]>'
        "</wps:ComplexData></wps:Data></wps:Input><wps:Input><ows:Identifier>distance"
        '</ows:Identifier><wps:Data><wps:LiteralData uom="metre">1</wps:LiteralData>'
        "</wps:Data></wps:Input></wps:DataInputs><wps:ResponseForm><wps:RawDataOutput "
        'mimeType="application/geo+json"><ows:Identifier>result</ows:Identifier>'
        "</wps:RawDataOutput></wps:ResponseForm></wps:Execute>").encode()
    del geojson
    headers = {"Content-Type": "text/xml"}
    small = orjson.dumps(_polygon(50)).decode()
    warm = httpx.post(f"{base}/wps", timeout=60, headers=headers, content=body.replace(
        body[body.index(b"<![CDATA[") + 9:body.index(b"]]>")], small.encode()))
    assert warm.status_code == 200, warm.text[:300]
    answer, before, peak, after = _measured(pid, lambda: httpx.post(
        f"{base}/wps", content=body, timeout=180, headers=headers))
    print(f"WPS RSS before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["features"][0]["geometry"]["type"] == "Polygon"
    assert after - before < 50


def test_server_refuses_requests_past_max_vertices(server):
    base, _ = server
    body = {"inputs": {"features": _polygon(2_100_000),
                       "distance": {"value": 1, "unit": "meters"}}}
    answer = httpx.post(f"{base}/api/processes/buffer/execution", content=orjson.dumps(body),
                        headers={"Content-Type": "application/json"}, timeout=120)
    assert answer.status_code == 413, answer.text[:300]
    assert "2,000,000" in answer.json()["detail"]
