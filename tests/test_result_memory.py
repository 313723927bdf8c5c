"""A live ``honua serve`` keeps its memory while it sends a big stored result (issue 14):
a job's 77 MB GeoJSON output, kept in the artifact store as a value, goes out through
each face (OGC API results document, raw output and ``f=geojson``; GPServer
``f=geojson``, also with ``outSR``; WPS 2.0 GetResult and the output reference) as the
stored bytes read chunk by chunk (converted a batch at a time for ``outSR``), so the
front's RSS grows by far less than the result, and the bytes are those a whole read
gives. Measured, RSS growth at the peak of each fetch of the 77 MB
result (the seven faces in the order above): before 750, 0, 753, 0, 721, 713, 707 MB
(the document forms and conversions decoded it whole); after 0, 0, 0, 0, 12, 1, 0 MB."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from honua.core.json_text import feature_texts
from honua.store.artifacts_fs import FilesystemArtifactStore
from tests.support.jobs import buffer_body
from tests.support.servers import free_port
from tests.support.stored_results import big_geojson, store_result

FEATURES = 520_000  # about 77 MB of GeoJSON
GP = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer"
MEDIA = "application/geo+json"


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, int, FilesystemArtifactStore]]:
    """``honua serve`` in a process of its own (one front process: the pid measured is the
    one that answers), and its artifact store as seen from here."""
    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "HONUA_DATA_DIR": str(data), "HONUA_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "honua", "serve", "--port", str(port),
                                "--processes", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    yield base, process.pid, FilesystemArtifactStore(data / "artifacts")
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _job(base: str) -> str:
    submitted = httpx.post(f"{base}/api/processes/buffer/execution",
                           json={**buffer_body(1), "response": "document"},
                           headers={"Prefer": "respond-async"}, timeout=30)
    assert submitted.status_code == 201, submitted.text
    job_id = submitted.json()["jobID"]
    deadline = time.monotonic() + 60
    while (status := httpx.get(f"{base}/api/jobs/{job_id}", timeout=10).json()["status"]) \
            not in ("successful", "failed"):
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.1)
    assert status == "successful"
    return str(job_id)


def _faces(job_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "ogc results document": (f"/api/jobs/{job_id}/results", {}),
        "ogc raw output": (f"/api/jobs/{job_id}/results/result", {}),
        "ogc f=geojson": (f"/api/jobs/{job_id}/results", {"f": "geojson"}),
        "gpserver f=geojson": (f"{GP}/jobs/{job_id}/results/result", {"f": "geojson"}),
        "gpserver f=geojson outSR": (f"{GP}/jobs/{job_id}/results/result",
                                     {"f": "geojson", "outSR": "3857"}),
        "wps GetResult": ("/wps", {"service": "WPS", "version": "2.0.0",
                                   "request": "GetResult", "jobid": job_id}),
        "wps output reference": (f"/wps/outputs/{job_id}/result", {}),
    }


def _fetch(base: str, pid: int, url: str, params: dict[str, str]) -> tuple[bytes, float]:
    """The answer's bytes, and the server's RSS growth (MB) at its peak while sending it."""
    before = _rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(_rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with httpx.stream("GET", f"{base}{url}", params=params, timeout=120,
                          headers={"Accept-Encoding": "identity"}) as answer:
            assert answer.status_code == 200, answer.read()[:500]
            body = b"".join(answer.iter_bytes())
    finally:
        done.set()
        sampler.join()
    return body, max(peak) - before


def _expected(face: str, big: bytes) -> bytes:
    """What a whole read of the stored result gives on each face."""
    if face == "ogc results document":
        return orjson.dumps({"result": {"value": orjson.Fragment(big), "mediaType": MEDIA}})
    return big


def test_a_big_stored_result_is_sent_with_flat_memory(server):
    """Each face's peak RSS growth stays a few MB (the 1 MiB chunks in flight), where an
    answer built whole costs about ten times the result (module docstring)."""
    base, pid, artifacts = server
    job_id = _job(base)
    store_result(artifacts, job_id, big_geojson(20_000))  # past the threshold: warm each path
    for url, params in _faces(job_id).values():
        _fetch(base, pid, url, params)
    big = big_geojson(FEATURES)
    assert len(big) > 70_000_000
    store_result(artifacts, job_id, big)
    growth: dict[str, float] = {}
    for face, (url, params) in _faces(job_id).items():
        body, growth[face] = _fetch(base, pid, url, params)
        if face == "gpserver f=geojson outSR":  # converted: the bytes are checked on a
            head: dict[str, bytes] = {}              # smaller result (tests/adapters)
            assert sum(1 for _ in feature_texts([body], head)) == FEATURES
            assert b"EPSG::3857" in head["crs"]
        elif face == "wps GetResult":  # the value sits in a CDATA section, "]]>" split
            assert body.startswith(b"<?xml") and b"<![CDATA[" + big[:100] in body
            body = body.replace(b"]]]]><![CDATA[>", b"]]>")
            assert big in body
        else:
            assert hashlib.sha256(body).digest() == \
                hashlib.sha256(_expected(face, big)).digest(), face
        del body
    print(f"result {len(big) / 1e6:.0f} MB; RSS growth at the peak, MB: " +
          ", ".join(f"{face} {mb:.0f}" for face, mb in growth.items()))
    assert all(mb < 25 for mb in growth.values()), growth
