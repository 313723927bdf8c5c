"""Outputs registered as layers (``registerAs``): listed, durable, clash-safe, expiring."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.settings import Settings
from tests.adapters.ogcapi.conftest import point_collection, poll
from tests.support.layers import write_layer


@pytest.fixture
def settings(tmp_path) -> Settings:
    write_layer(tmp_path / "data" / "layers" / "cities.gpkg", 12)
    return Settings(data_dir=tmp_path / "data", workers=1, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600, chunk_features=5,
                    layer_max_ttl_hours=24 * 30)


def _request(collection_id, features=None, **register):
    return {"inputs": {"features": features or point_collection(10.0, 50.0, name="here"),
                       "distance": {"value": 1, "unit": "kilometers"}},
            "outputs": {"result": {"registerAs": {"collectionId": collection_id, **register}}}}


def _ids(client):
    return {c["id"] for c in client.get("/api/collections").json()["collections"]}


def test_register_output_appears_as_a_collection_with_its_features(client):
    response = client.post("/api/processes/buffer/execution",
                           json=_request("zones", title="Buffer zones", ttl="7d"))
    assert response.status_code == 200, response.text
    assert "zones" in _ids(client)
    collection = client.get("/api/collections/zones").json()
    assert collection["title"] == "Buffer zones"
    expires = dt.datetime.fromisoformat(collection["honua:registered"]["expires"])
    assert dt.timedelta(days=6.9) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=7)
    items = client.get("/api/collections/zones/items").json()
    assert [f["properties"]["name"] for f in items["features"]] == ["here"]
    assert items["features"][0]["geometry"]["type"] == "Polygon"


def test_register_output_of_an_async_job(client):
    response = client.post("/api/processes/buffer/execution", json=_request("later"),
                           headers={"Prefer": "respond-async"})
    assert poll(client, response.json()["jobID"])["status"] == "successful"
    assert client.get("/api/collections/later/items").json()["numberMatched"] == 1


def test_register_output_of_a_chunked_run_streams_into_the_layer(client):
    """A layer reference processed in chunks of 5 registers all 12 features."""
    response = client.post("/api/processes/buffer/execution",
                           json=_request("big-zones", {"layerReference": "cities"}))
    assert response.status_code == 200, response.text
    assert client.get("/api/collections/big-zones/items").json()["numberMatched"] == 12


def test_register_output_survives_a_restart(settings, client):
    client.post("/api/processes/buffer/execution", json=_request("kept"))
    services = build_services(settings)
    with TestClient(create_app(settings, services=services)) as again:
        assert "kept" in _ids(again)
        assert again.get("/api/collections/kept/items").json()["numberReturned"] == 1


def test_register_output_expires_at_its_ttl(client, services):
    client.post("/api/processes/buffer/execution", json=_request("brief", ttl="2h"))
    manager = services.manager
    real = manager.clock
    manager.clock = lambda: real() + dt.timedelta(hours=1)
    manager.cleanup()
    assert "brief" in _ids(client)
    manager.clock = lambda: real() + dt.timedelta(hours=3)
    manager.cleanup()
    assert "brief" not in _ids(client)
    assert client.get("/api/collections/brief").status_code == 404


def test_register_output_name_clash_is_refused_before_running(client, services):
    assert client.post("/api/processes/buffer/execution", json=_request("taken")).status_code == 200
    response = client.post("/api/processes/buffer/execution", json=_request("taken"))
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    clash = client.post("/api/processes/buffer/execution", json=_request("cities", overwrite=True))
    assert clash.status_code == 409
    jobs, _ = services.manager.list()
    assert len(jobs) == 1  # the refused requests left no job behind


def test_register_output_overwrite_by_its_owner_replaces_it(client):
    client.post("/api/processes/buffer/execution", json=_request("mine"))
    two = point_collection(1.0, 1.0, name="a")
    two["features"].append({"type": "Feature", "geometry": {"type": "Point",
                                                            "coordinates": [2, 2]},
                            "properties": {"name": "b"}})
    response = client.post("/api/processes/buffer/execution",
                           json=_request("mine", two, overwrite=True))
    assert response.status_code == 200, response.text
    assert client.get("/api/collections/mine/items").json()["numberMatched"] == 2


def test_register_output_of_another_owner_is_forbidden(services):
    from honua.core.requests import ExecutionOptions, LayerRegistration, OutputRequest

    options = ExecutionOptions(outputs={"result": OutputRequest(
        register_as=LayerRegistration("hers"))})
    inputs = {"features": point_collection(0, 0), "distance": 10}
    services.manager.start(dispatch=False)
    try:
        services.manager.execute("buffer", inputs, options, owner="ann").result(timeout=60)
        overwrite = ExecutionOptions(outputs={"result": OutputRequest(
            register_as=LayerRegistration("hers", overwrite=True))})
        from honua.errors import Forbidden

        with pytest.raises(Forbidden, match="belongs to someone else"):
            services.manager.execute("buffer", inputs, overwrite, owner="bob")
    finally:
        services.manager.stop()


@pytest.mark.parametrize(("register", "status", "message"), [
    ({"collectionId": "bad id"}, 400, "not a valid collection id"),
    ({"collectionId": "x", "ttl": "forever"}, 400, "not a duration"),
    ({"collectionId": "x", "ttl": "90d"}, 400, "longer than this server allows"),
    ({"collectionId": "x", "colour": "red"}, 400, "no member 'colour'"),
    ({"title": "no id"}, 400, "collectionId"),
])
def test_register_output_bad_options_are_400(client, register, status, message):
    body = _request("x")
    body["outputs"]["result"]["registerAs"] = register
    response = client.post("/api/processes/buffer/execution", json=body)
    assert response.status_code == status
    assert message in response.json()["detail"]
