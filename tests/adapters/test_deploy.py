"""Workflows deployed as processes (OGC API Part 2 style, admin only, or from the config
file): on all three surfaces like any process, and gone again when undeployed."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.settings import Settings
from tests.core.test_workflows import BUFFER_CLIP_DISSOLVE, INPUTS

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
CENTROIDS = {"id": "buffered_centroids", "title": "Buffered centroids",
             "inputs": {"features": {}},
             "steps": {"b": {"process": "buffer", "inputs": {
                 "features": {"$ref": "#/inputs/features"},
                 "distance": {"value": 50, "unit": "meters"}}},
                 "c": {"process": "centroid", "inputs": {
                     "features": {"$ref": "#/steps/b/outputs/result"}}}},
             "outputs": {"result": {"$ref": "#/steps/c/outputs/result"}}}


@pytest.fixture
def deployed(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", workers=1, cleanup_interval_seconds=3600,
                        workflows=(CENTROIDS,))
    services = build_services(settings)
    keys = {}
    for name, roles in (("user", {"user"}), ("admin", {"admin"})):
        keys[name] = {"X-API-Key": new_key()}
        services.authenticator.store.add_key(ApiKey(name, hash_key(keys[name]["X-API-Key"]),
                                                    "t1", frozenset(roles),
                                                    dt.datetime.now(dt.UTC)))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys, settings


def test_config_file_workflow_is_a_process_everywhere(deployed):
    client, keys, _ = deployed
    user = keys["user"]
    listed = [p["id"] for p in client.get("/api/processes", headers=user).json()["processes"]]
    assert "buffered_centroids" in listed
    point = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
             "geometry": {"type": "Point", "coordinates": [10, 50]}}]}
    ran = client.post("/api/processes/buffered_centroids/execution",
                      json={"inputs": {"features": point}}, headers=user)
    assert ran.status_code == 200 and ran.json()["features"][0]["geometry"]["type"] == "Point"
    tasks = client.get(GP, params={"f": "json"}, headers=user).json()["tasks"]
    assert "BufferedCentroids" in tasks or "buffered_centroids" in str(tasks)
    caps = client.get("/wps", params={"service": "WPS", "request": "GetCapabilities"},
                      headers=user).text
    assert "buffered_centroids" in caps


def test_admin_deploys_and_undeploys(deployed):
    client, keys, settings = deployed
    workflow = {**BUFFER_CLIP_DISSOLVE, "id": "bcd"}
    refused = client.post("/api/processes", json=workflow, headers=keys["user"])
    assert refused.status_code == 403
    made = client.post("/api/processes", json=workflow, headers=keys["admin"])
    assert made.status_code == 201, made.text
    assert made.headers["location"].endswith("/api/processes/bcd")
    assert client.post("/api/processes", json=workflow, headers=keys["admin"]).status_code == 409
    ran = client.post("/api/processes/bcd/execution", json={"inputs": INPUTS},
                      headers=keys["user"])
    assert ran.status_code == 200, ran.text
    described = client.get(f"{GP}/bcd", params={"f": "json"}, headers=keys["user"])
    assert described.status_code == 200, described.text
    # kept across a restart
    again = build_services(settings)
    assert "bcd" in again.registry
    assert client.delete("/api/processes/bcd", headers=keys["user"]).status_code == 403
    assert client.delete("/api/processes/buffer", headers=keys["admin"]).status_code == 403
    assert client.delete("/api/processes/bcd", headers=keys["admin"]).status_code == 204
    assert client.get("/api/processes/bcd", headers=keys["user"]).status_code == 404
    assert "bcd" not in build_services(settings).registry


@pytest.mark.parametrize("body", [
    {"id": "../x", "steps": {"a": {"process": "buffer"}}, "outputs": {}},
    {"id": "buffer", **{k: v for k, v in CENTROIDS.items() if k != "id"}},
    [], {"id": "x" * 1000},
])
def test_bad_deployments_are_refused(deployed, body):
    client, keys, _ = deployed
    response = client.post("/api/processes", json=body, headers=keys["admin"])
    assert response.status_code in (400, 409)
    assert response.headers["content-type"].startswith("application/problem+json")
