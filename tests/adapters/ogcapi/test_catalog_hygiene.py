"""Registered layers as a user finds them: their real geometry type, a link from the job
to its layer and back, and ``DELETE /api/collections/{id}`` for their owner only."""

from __future__ import annotations

import pytest

from honua.core.identity import ApiKey, hash_key, new_key
from honua.core.jobs import utcnow
from honua.settings import Settings
from tests.adapters.ogcapi.conftest import point_collection
from tests.support.layers import write_layer


@pytest.fixture
def settings(tmp_path) -> Settings:
    write_layer(tmp_path / "data" / "layers" / "cities.gpkg", 12)
    return Settings(data_dir=tmp_path / "data", workers=1, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600)


@pytest.fixture
def keys(services):
    """API keys of ann and bob (tenant acme), carl (tenant other) and an admin."""
    made = {}
    for name, tenant, roles in (("ann", "acme", ()), ("bob", "acme", ()),
                                ("carl", "other", ()), ("root", "ops", ("admin",))):
        secret = new_key()
        services.authenticator.store.add_key(
            ApiKey(name, hash_key(secret), tenant, frozenset(roles), utcnow()))
        made[name] = {"X-API-Key": secret}
    return made


def _register(client, collection_id, headers=None, **extra):
    body = {"inputs": {"features": point_collection(10.0, 50.0, name="here"),
                       "distance": {"value": 1, "unit": "kilometers"}},
            "outputs": {"result": {"registerAs": {"collectionId": collection_id}}}}
    response = client.post("/api/processes/buffer/execution", json=body,
                           headers={"Prefer": "respond-async", **(headers or {})})
    assert response.status_code == 201, response.text
    return poll_as(client, response.json()["jobID"], headers)


def poll_as(client, job_id, headers):
    import time

    deadline = time.monotonic() + 60
    while True:
        info = client.get(f"/api/jobs/{job_id}", headers=headers or {}).json()
        if info["status"] in ("successful", "failed", "dismissed"):
            return info
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_registered_layer_reports_its_geometry_type(client):
    assert _register(client, "zones")["status"] == "successful"
    collection = client.get("/api/collections/zones").json()
    assert collection["honua:geometryType"] == "Polygon"
    queryables = client.get("/api/collections/zones/queryables").json()
    assert queryables["properties"]["geometry"]["format"] == "geometry-polygon"


def test_job_links_to_its_layer_and_back(client):
    final = _register(client, "linked")
    related = [link["href"] for link in final["links"] if link["rel"] == "related"]
    assert any(href.endswith("/api/collections/linked") for href in related)
    collection = client.get("/api/collections/linked").json()
    assert collection["honua:registered"]["jobID"] == final["jobID"]
    via = [link["href"] for link in collection["links"] if link["rel"] == "via"]
    assert via and via[0].endswith(f"/api/jobs/{final['jobID']}")


def test_owner_deletes_a_registered_layer(client, keys):
    _register(client, "mine", keys["ann"])
    assert client.delete("/api/collections/mine", headers=keys["ann"]).status_code == 204
    assert client.get("/api/collections/mine", headers=keys["ann"]).status_code == 404
    assert client.delete("/api/collections/mine", headers=keys["ann"]).status_code == 404


def test_someone_else_in_the_tenant_is_forbidden(client, keys):
    _register(client, "anns", keys["ann"])
    refused = client.delete("/api/collections/anns", headers=keys["bob"])
    assert refused.status_code == 403
    assert "only its owner" in refused.json()["detail"]
    assert client.get("/api/collections/anns", headers=keys["ann"]).status_code == 200


def test_another_tenant_sees_no_such_collection(client, keys):
    _register(client, "secret", keys["ann"])
    refused = client.delete("/api/collections/secret", headers=keys["carl"])
    assert refused.status_code == 404
    unknown = client.delete("/api/collections/never-was", headers=keys["carl"])
    assert refused.json()["detail"] == unknown.json()["detail"].replace("never-was", "secret")
    for path in ("", "/items", "/queryables"):  # reading it: as unknown as deleting it
        seen = client.get(f"/api/collections/secret{path}", headers=keys["carl"])
        never = client.get(f"/api/collections/never-was{path}", headers=keys["carl"])
        assert seen.status_code == never.status_code == 404, path
        assert seen.json()["detail"] == never.json()["detail"].replace("never-was", "secret")


def test_admin_may_delete_any_registered_layer(client, keys):
    _register(client, "cleanup", keys["ann"])
    assert client.delete("/api/collections/cleanup", headers=keys["root"]).status_code == 204


def test_configured_layers_cannot_be_deleted(client, keys):
    refused = client.delete("/api/collections/cities", headers=keys["root"])
    assert refused.status_code == 403
    assert "configuration" in refused.json()["detail"]
    assert client.get("/api/collections/cities", headers=keys["root"]).status_code == 200


def test_anonymous_cannot_delete_on_a_closed_server(client, keys):
    assert client.delete("/api/collections/cities").status_code == 401


@pytest.mark.parametrize("name", ["../cities", "x" * 5000, "%00", "a;rm -rf"])
def test_hostile_ids_are_not_found(client, keys, name):
    assert client.delete(f"/api/collections/{name}", headers=keys["ann"]).status_code in (
        400, 404)
