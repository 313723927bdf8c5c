"""The provenance ledger over OGC API: every run recorded, PROV-JSON, layers, reproduce."""

from __future__ import annotations

import pytest

from honua.core.provenance import software_versions
from tests.adapters.ogcapi.conftest import poll
from tests.support.tenants import TWO_TENANTS, tenant_server


def _job_of(response) -> str:
    return response.headers["link"].split(">")[0].rsplit("/", 1)[1]


def test_sync_run_is_in_the_ledger_as_prov_json(client, buffer_request):
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 200
    job_id = _job_of(response)
    prov = client.get(f"/api/jobs/{job_id}/provenance")
    assert prov.status_code == 200, prov.text
    doc = prov.json()
    assert set(doc) >= {"prefix", "entity", "activity", "agent", "used", "wasGeneratedBy",
                        "wasDerivedFrom", "wasAssociatedWith"}
    (activity_id, activity), = doc["activity"].items()
    assert activity_id.endswith(f"job/{job_id}")
    assert activity["honua:process"] == "buffer" and activity["honua:status"] == "succeeded"
    assert activity["honua:software"] == software_versions()
    assert {"honua", "shapely", "geos", "pyproj", "proj"} <= set(activity["honua:software"])
    roles = {use["prov:role"] for use in doc["used"].values()}
    assert {"features", "distance"} <= roles
    (generated,) = doc["wasGeneratedBy"].values()
    assert generated["prov:role"] == "result" and generated["prov:entity"].startswith("sha256:")
    workers = [a for a in doc["agent"].values() if a["prov:type"] == "prov:SoftwareAgent"]
    assert workers and workers[0]["honua:pid"] > 0 and workers[0]["honua:host"]


def test_async_run_records_times_worker_and_inputs(client, services, buffer_request):
    response = client.post("/api/processes/buffer/execution", json=buffer_request,
                           headers={"Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    assert poll(client, job_id)["status"] == "successful"
    record = services.manager.recorder.store.provenance(job_id)
    assert record.status == "succeeded" and record.tier == "shapely"
    assert record.queued_seconds is not None and record.run_seconds is not None
    assert record.worker["kind"] == "pool" and record.worker["pid"] > 0
    assert record.inputs["distance"]["value"] == {"value": 100, "unit": "meters"}
    assert len(record.outputs["result"]["sha256"]) == 64


def test_large_inputs_keep_only_their_hash_inline(client, services):
    features = [{"type": "Feature", "properties": {"n": i, "pad": "x" * 200},
                 "geometry": {"type": "Point", "coordinates": [i * 0.001, 0.0]}}
                for i in range(2000)]
    request = {"inputs": {"features": {"type": "FeatureCollection", "features": features},
                          "distance": {"value": 1, "unit": "meters"}}}
    response = client.post("/api/processes/buffer/execution", json=request)
    assert response.status_code == 200, response.text
    record = services.manager.recorder.store.provenance(_job_of(response))
    assert "value" not in record.inputs["features"] and record.inputs["features"]["bytes"] > 1e5
    assert "value" in record.inputs["distance"] and record.inputs_artifact
    again = client.post(f"/api/jobs/{record.job_id}/reproduce")
    assert again.status_code == 200 and again.json()["match"] is True


def test_reproduce_answers_hashes_per_output(client, buffer_request):
    job_id = _job_of(client.post("/api/processes/buffer/execution", json=buffer_request))
    answer = client.post(f"/api/jobs/{job_id}/reproduce")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    result = body["outputs"]["result"]
    assert result["recorded"] == result["reproduced"] and result["match"] is True
    assert body["match"] is True and body["jobID"] != job_id


def test_unknown_job_has_no_provenance(client):
    for path in ("/api/jobs/nope/provenance", "/api/jobs/" + "x" * 5000 + "/provenance"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.post("/api/jobs/nope/reproduce").status_code == 404


def test_registered_layer_links_to_the_run_that_made_it(client, buffer_request):
    buffer_request["outputs"] = {"result": {"registerAs": {"collectionId": "made_by_buffer"}}}
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 200, response.text
    job_id = _job_of(response)
    layer = client.get("/api/collections/made_by_buffer").json()
    assert layer["provenance"]["jobID"] == job_id
    assert layer["provenance"]["processID"] == "buffer"
    link = next(x for x in layer["links"] if x["rel"].endswith("wasGeneratedBy"))
    prov = client.get(link["href"].split("testserver")[-1]).json()
    assert any(e.get("prov:type") == "honua:Collection" for e in prov["entity"].values())


def test_input_by_url_records_the_url_and_the_layer(client, services, buffer_request):
    buffer_request["outputs"] = {"result": {"registerAs": {"collectionId": "by_url"}}}
    assert client.post("/api/processes/buffer/execution", json=buffer_request).status_code == 200
    href = "http://testserver/api/collections/by_url"
    response = client.post("/api/processes/buffer/execution", json={
        "inputs": {"features": {"href": href}, "distance": 5}})
    assert response.status_code == 200, response.text
    origin = services.manager.recorder.store.provenance(_job_of(response)).inputs[
        "features"]["origin"]
    assert origin["url"] == href and origin["layer"] == "by_url"


@pytest.fixture
def tenants(tmp_path):
    with tenant_server(tmp_path / "data", users=(*TWO_TENANTS, ("root", "ops", ("admin",))),
                       workers=1, cleanup_interval_seconds=3600) as served:
        yield served


def test_another_tenants_provenance_is_unknown(tenants, buffer_request):
    client, keys, services = tenants
    response = client.post("/api/processes/buffer/execution", json=buffer_request,
                           headers=keys["a"])
    job_id = _job_of(response)
    assert client.get(f"/api/jobs/{job_id}/provenance", headers=keys["a"]).status_code == 200
    theirs = client.get(f"/api/jobs/{job_id}/provenance", headers=keys["b"])
    unknown = client.get("/api/jobs/unknown-id/provenance", headers=keys["b"])
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text.replace(job_id, "X") == unknown.text.replace("unknown-id", "X")
    assert client.post(f"/api/jobs/{job_id}/reproduce", headers=keys["b"]).status_code == 404
    assert client.get(f"/api/jobs/{job_id}/provenance", headers=keys["root"]).status_code == 200
    record = services.manager.recorder.store.provenance(job_id)
    assert (record.owner, record.tenant) == ("key:a", "t1")
