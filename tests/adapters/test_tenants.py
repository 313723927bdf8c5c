"""Tenants: another tenant's job, upload or registered layer answers exactly as an unknown id on
every surface, for every operation; lists hold only the caller's tenant; an admin sees all. Each test runs on
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
LAYER = "t1-secret"
"""The layer tenant t1's job registers its result as."""


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
                "features": POINT, "distance": {"value": 100, "unit": "meter"}},
            "outputs": {"result": {"registerAs": {"collectionId": LAYER}}}})
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


@pytest.mark.parametrize("path", ["", "/results", "/results/result", "/results/result/map",
                                  "/provenance", "/events"])
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


@pytest.mark.parametrize("path", ["", "/results/result", "/results/result/map",
                                  "/inputs/features", "/events"])
def test_gpserver_job_of_another_tenant_is_unknown(server, path):
    client, keys, job_id = server
    own = client.get(f"{GP}/Buffer/jobs/{job_id}{path}", params={"f": "json"},
                     headers=keys["a"])
    assert own.status_code == 200 and '"error"' not in own.text[:200], own.text[:300]
    _same_as_unknown(lambda j: client.get(f"{GP}/Buffer/jobs/{j}{path}", params={"f": "json"},
                                          headers=keys["b"]), job_id)


def test_wps_1_status_and_output_documents_of_another_tenant_are_unknown(server):
    client, keys, job_id = server
    for path in ("/wps/status/{}", "/wps/outputs/{}/result"):
        assert client.get(path.format(job_id), headers=keys["a"]).status_code == 200, path
        _same_as_unknown(lambda j, p=path: client.get(p.format(j), headers=keys["b"]), job_id)


def test_another_tenant_cannot_cancel_dismiss_delete_or_reproduce(server):
    client, keys, job_id = server
    b = keys["b"]
    _same_as_unknown(lambda j: client.delete(f"/api/jobs/{j}", headers=b), job_id)
    _same_as_unknown(lambda j: client.post(f"/api/jobs/{j}/cancel", headers=b), job_id)
    _same_as_unknown(lambda j: client.post(f"/api/jobs/{j}/reproduce", headers=b), job_id)
    _same_as_unknown(lambda j: client.post(f"{GP}/Buffer/jobs/{j}/cancel", data={"f": "json"},
                                           headers=b), job_id)
    _same_as_unknown(lambda j: client.post(f"{GP}/Buffer/jobs/{j}/delete", data={"f": "json"},
                                           headers=b), job_id)
    _same_as_unknown(lambda j: client.get("/wps", headers=b, params={
        "service": "WPS", "version": "2.0.0", "request": "Dismiss", "jobId": j}), job_id)
    assert client.get(f"/api/jobs/{job_id}", headers=keys["a"]).json()["status"] == "successful"
    assert client.get(f"/api/jobs/{job_id}/results/result", headers=keys["a"]).status_code == 200


def _collection_ids(client, headers):
    return {c["id"] for c in client.get("/api/collections", headers=headers).json()["collections"]}


def test_registered_layer_of_another_tenant_is_unknown(server):
    client, keys, _ = server
    assert LAYER in _collection_ids(client, keys["a"]) and LAYER in _collection_ids(
        client, keys["root"])
    assert LAYER not in _collection_ids(client, keys["b"])
    for path in ("", "/items", "/items/1", "/queryables"):
        assert client.get(f"/api/collections/{LAYER}{path}", headers=keys["a"]).status_code \
            == 200, path
        seen = client.get(f"/api/collections/{LAYER}{path}", headers=keys["b"])
        never = client.get(f"/api/collections/never-was{path}", headers=keys["b"])
        assert seen.status_code == never.status_code == 404, path
        assert seen.text == never.text.replace("never-was", LAYER), path


@pytest.mark.parametrize("reference", [
    pytest.param(lambda layer: {"layerReference": {"collectionId": layer}}, id="layerReference"),
    pytest.param(lambda layer: {"href": f"http://testserver/api/collections/{layer}/items"},
                 id="href"),
])
def test_another_tenants_layer_cannot_be_an_input_on_ogc_api(server, reference):
    client, keys, _ = server

    def run(layer, who):
        return client.post("/api/processes/buffer/execution", headers=keys[who], json={
            "inputs": {"features": reference(layer), "distance": 1}})

    assert run(LAYER, "a").status_code == 200
    theirs, never = run(LAYER, "b"), run("never-was", "b")
    assert theirs.status_code == never.status_code == 400
    assert theirs.text == never.text.replace("never-was", LAYER)


def test_another_tenants_layer_cannot_be_an_input_on_gpserver(server):
    client, keys, _ = server

    def run(layer, who):
        return client.post(f"{GP}/Buffer/execute", headers=keys[who], data={
            "f": "json", "distance": "1",
            "features": json.dumps({"url": f"http://testserver/api/collections/{layer}"})})

    assert "error" not in run(LAYER, "a").json()
    theirs, never = run(LAYER, "b").json(), run("never-was", "b").json()
    assert "error" in theirs
    assert json.dumps(theirs) == json.dumps(never).replace("never-was", LAYER)


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
