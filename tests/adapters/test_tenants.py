"""Tenants: another tenant's job or upload answers exactly as an unknown id on every surface,
for every operation; lists hold only the caller's tenant; an admin sees all. Each test runs on
SQLite (the job manager's filter alone) and on PostgreSQL as an ordinary role (row-level
security on tenant as well)."""

import contextlib
import json
import time

import pytest

from tests.support import postgres
from tests.support.tenants import TWO_TENANTS, tenant_server

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                    "geometry": {"type": "Point",
                                                                 "coordinates": [10, 50]}}]}
UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        database_url = ""
        if request.param == "postgresql":
            role = postgres.app_role()
            name = stack.enter_context(postgres.fresh_database("honua_tenants", owner=role))
            database_url = postgres.url(name, user=role)
        yield from _server(tmp_path_factory, database_url)


def _server(tmp_path_factory, database_url):
    with tenant_server(tmp_path_factory.mktemp("tenants") / "data",
                       users=(*TWO_TENANTS, ("root", "ops", ("admin",))), workers=1,
                       cleanup_interval_seconds=3600, database_url=database_url
                       ) as (client, keys, _):
        submitted = client.post("/api/processes/buffer/execution", headers={
            **keys["a"], "Prefer": "respond-async"}, json={"inputs": {
                "features": POINT, "distance": {"value": 100, "unit": "meter"}}})
        assert submitted.status_code == 201, submitted.text
        job_id = submitted.json()["jobID"]
        for _ in range(300):
            if client.get(f"/api/jobs/{job_id}", headers=keys["a"]).json()["status"] in (
                    "successful", "failed"):
                break
            time.sleep(0.05)
        yield client, keys, job_id


def _same_as_unknown(get, job_id):
    mine, unknown = get(job_id), get(UNKNOWN)
    assert mine.status_code == unknown.status_code >= 400 or (
        mine.status_code == unknown.status_code == 200 and "error" in unknown.json())
    assert mine.text.replace(job_id, "X") == unknown.text.replace(UNKNOWN, "X")


@pytest.mark.parametrize("path", ["", "/results", "/results/result"])
def test_ogc_api_job_of_another_tenant_is_unknown(server, path):
    client, keys, job_id = server
    assert client.get(f"/api/jobs/{job_id}{path}", headers=keys["a"]).status_code == 200
    _same_as_unknown(lambda j: client.get(f"/api/jobs/{j}{path}", headers=keys["b"]), job_id)


def test_job_lists_hold_only_the_callers_tenant_and_admins_see_all(server):
    client, keys, job_id = server
    listed = {who: {j["jobID"] for j in client.get("/api/jobs", headers=keys[who]).json()["jobs"]}
              for who in ("a", "b", "root")}
    assert job_id in listed["a"] and job_id not in listed["b"] and job_id in listed["root"]
    assert client.get(f"/api/jobs/{job_id}", headers=keys["root"]).status_code == 200


def test_wps_status_and_result_of_another_tenant_are_unknown(server):
    client, keys, job_id = server
    for request in ("GetStatus", "GetResult"):
        _same_as_unknown(lambda j, r=request: client.get("/wps", headers=keys["b"], params={
            "service": "WPS", "version": "2.0.0", "request": r, "jobId": j}), job_id)


@pytest.mark.parametrize("path", ["", "/results/output"])
def test_gpserver_job_of_another_tenant_is_unknown(server, path):
    client, keys, job_id = server
    own = client.get(f"{GP}/Buffer/jobs/{job_id}", params={"f": "json"}, headers=keys["a"])
    assert "error" not in own.json()
    _same_as_unknown(lambda j: client.get(f"{GP}/Buffer/jobs/{j}{path}", params={"f": "json"},
                                          headers=keys["b"]), job_id)


def test_another_tenant_cannot_cancel_or_dismiss(server):
    client, keys, job_id = server
    _same_as_unknown(lambda j: client.delete(f"/api/jobs/{j}", headers=keys["b"]), job_id)
    _same_as_unknown(lambda j: client.post(f"{GP}/Buffer/jobs/{j}/cancel", data={"f": "json"},
                                           headers=keys["b"]), job_id)
    assert client.get(f"/api/jobs/{job_id}", headers=keys["a"]).status_code == 200


def test_uploads_of_another_tenant_are_unknown(server):
    client, keys, _ = server
    made = client.post("/api/uploads", headers=keys["a"], files={
        "file": ("p.geojson", json.dumps(POINT).encode(), "application/geo+json")})
    assert made.status_code == 201, made.text
    upload_id = made.json()["uploadId"]
    assert client.get(f"/api/uploads/{upload_id}", headers=keys["a"]).status_code == 200
    theirs = client.get(f"/api/uploads/{upload_id}", headers=keys["b"])
    assert theirs.status_code == 404
    run = client.post("/api/processes/explode/execution", headers=keys["b"],
                      json={"inputs": {"features": {"uploadId": upload_id}}})
    assert run.status_code in (400, 404) and upload_id in run.text
