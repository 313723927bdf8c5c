"""Per-tenant quotas: a request over quota is refused at once with 429 and Retry-After on
every surface, nothing is recorded for it, and other tenants are not affected."""

import json
import time

import pytest

from tests.adapters.gpserver.toolbox import MODULE
from tests.support.tenants import tenant_server

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                    "geometry": {"type": "Point",
                                                                 "coordinates": [10, 50]}}]}


@pytest.fixture
def server(tmp_path):
    with tenant_server(tmp_path / "data", workers=1, cleanup_interval_seconds=3600,
                       process_modules=(MODULE,), quota_queued_jobs=1, quota_running_jobs=1,
                       quota_upload_mb=0.001) as (client, keys, services):
        yield client, keys, services
        for job in services.manager.list(limit=100)[0]:
            services.manager.cancel(job.id)


def _slow(client, headers):
    return client.post("/api/processes/slow/execution", headers={
        **headers, "Prefer": "respond-async"}, json={"inputs": {"seconds": 8}})


def _running(services, job_id, timeout=30.0):
    """Wait until the pool has claimed the job (the running quota counts it from then)."""
    deadline = time.monotonic() + timeout
    while services.manager.get(job_id).status.value != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)


def test_queued_and_running_quotas_refuse_at_once_on_every_surface(server):
    client, keys, services = server
    first = _slow(client, keys["a"])
    assert first.status_code == 201, first.text
    _running(services, first.json()["jobID"])  # claimed by the pool: no longer queued
    second = _slow(client, keys["a"])  # waits in the queue
    assert second.status_code == 201, second.text
    before = services.manager.list(limit=100)[1]
    over = _slow(client, keys["a"])
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert "quota" in over.json()["detail"]
    gp = client.post(f"{GP}/Slow/submitJob", data={"f": "json", "seconds": "8"},
                     headers=keys["a"])
    assert gp.json()["error"]["code"] == 429 and "Retry-After" in gp.headers
    wps = client.post("/wps", headers={**keys["a"], "Content-Type": "text/xml"}, content=(
        '<wps:Execute service="WPS" version="2.0.0" mode="async" response="document" '
        'xmlns:wps="http://www.opengis.net/wps/2.0" xmlns:ows="http://www.opengis.net/ows/2.0">'
        "<ows:Identifier>slow</ows:Identifier><wps:Input id=\"seconds\"><wps:Data>8</wps:Data>"
        "</wps:Input><wps:Output id=\"result\" transmission=\"value\"/></wps:Execute>"))
    assert wps.status_code == 429 and "Retry-After" in wps.headers, wps.text
    assert services.manager.list(limit=100)[1] == before  # nothing recorded for the refusals
    assert _slow(client, keys["b"]).status_code == 201    # another tenant is not affected


def test_upload_quota_is_per_tenant(server):
    client, keys, _ = server
    body = json.dumps(POINT).encode()  # ~150 bytes; the quota is ~1 kB
    sent = [client.post("/api/uploads", headers=keys["a"],
                        files={"file": ("p.geojson", body, "application/geo+json")})
            for _ in range(8)]
    codes = [r.status_code for r in sent]
    assert 201 in codes and codes[-1] == 429 and "Retry-After" in sent[-1].headers
    assert client.post("/api/uploads", headers=keys["b"], files={
        "file": ("p.geojson", body, "application/geo+json")}).status_code == 201


@pytest.fixture
def stored(tmp_path):
    """A server whose tenants may keep ~2 kB of uploads and job results."""
    with tenant_server(tmp_path / "data", workers=1, cleanup_interval_seconds=3600,
                       quota_stored_mb=0.002) as served:
        yield served


def _finished(client, headers, job_id):
    for _ in range(400):
        status = client.get(f"/api/jobs/{job_id}", headers=headers).json()["status"]
        if status not in ("accepted", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never finished")


def test_stored_quota_covers_job_results_and_uploads_on_every_surface(stored):
    client, keys, services = stored
    body = {"inputs": {"features": POINT, "distance": {"value": 100, "unit": "meter"}}}
    kept = []
    for _ in range(20):  # results of async jobs pile up until the quota is reached
        made = client.post("/api/processes/buffer/execution", json=body,
                           headers={**keys["a"], "Prefer": "respond-async"})
        if made.status_code == 429:
            break
        assert made.status_code == 201, made.text
        kept.append(made.json()["jobID"])
        assert _finished(client, keys["a"], kept[-1]) == "successful"
    else:
        raise AssertionError("the stored quota never refused a job")
    assert int(made.headers["Retry-After"]) > 0 and "stored quota" in made.json()["detail"]
    upload = client.post("/api/uploads", headers=keys["a"], files={
        "file": ("p.geojson", json.dumps(POINT).encode(), "application/geo+json")})
    assert upload.status_code == 429 and "Retry-After" in upload.headers
    gp = client.post(f"{GP}/Buffer/submitJob", headers=keys["a"], data={
        "f": "json", "distance": json.dumps({"distance": 100, "units": "esriMeters"}),
        "features": json.dumps({"geometryType": "esriGeometryPoint", "features": [
            {"geometry": {"x": 10, "y": 50}, "attributes": {}}]})})
    assert gp.json()["error"]["code"] == 429 and "Retry-After" in gp.headers
    wps = client.post("/wps", headers={**keys["a"], "Content-Type": "text/xml"}, content=(
        '<wps:Execute service="WPS" version="2.0.0" mode="async" response="document" '
        'xmlns:wps="http://www.opengis.net/wps/2.0" xmlns:ows="http://www.opengis.net/ows/2.0">'
        "<ows:Identifier>buffer</ows:Identifier><wps:Input id=\"features\"><wps:Data "
        f'mimeType="application/geo+json"><![CDATA[{json.dumps(POINT)}]]></wps:Data>'
        '</wps:Input><wps:Input id="distance"><wps:Data>100</wps:Data></wps:Input>'
        "</wps:Execute>"))
    assert wps.status_code == 429 and "Retry-After" in wps.headers, wps.text
    sync = client.post("/api/processes/buffer/execution", json=body, headers=keys["a"])
    assert sync.status_code == 200  # a synchronous run keeps nothing: not refused
    assert client.post("/api/processes/buffer/execution", json=body, headers={
        **keys["b"], "Prefer": "respond-async"}).status_code == 201  # t2 has its own quota
    for job_id in kept:  # dismissing the results frees the space
        assert client.delete(f"/api/jobs/{job_id}", headers=keys["a"]).status_code == 200
    assert services.uploads.usage.total("t1") == 0
    assert client.post("/api/processes/buffer/execution", json=body, headers={
        **keys["a"], "Prefer": "respond-async"}).status_code == 201
