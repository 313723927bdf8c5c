"""Layer references as process inputs through OGC API - Processes (and their chunked runs)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from honua.core.references import LayerReference
from honua.errors import InvalidParameter
from honua.settings import Settings
from honua.web.own_urls import reference_from_url
from tests.adapters.ogcapi.conftest import poll
from tests.support.layers import write_layer

GEOD = Geod(ellps="WGS84")


@pytest.fixture
def settings(tmp_path) -> Settings:
    write_layer(tmp_path / "data" / "layers" / "cities.gpkg", 25)
    return Settings(data_dir=tmp_path / "data", workers=1, worker_max_jobs=50,
                    job_timeout_seconds=60, cleanup_interval_seconds=3600, chunk_features=7)


def _buffer(reference, **extra):
    return {"inputs": {"features": reference, "distance": {"value": 100, "unit": "meters"},
                       **extra}}


def _names(collection):
    return sorted(f["properties"]["name"] for f in collection["features"])


def test_layer_reference_by_id_buffers_the_whole_layer(client):
    response = client.post("/api/processes/buffer/execution",
                           json=_buffer({"layerReference": "cities"}))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    result = response.json()
    assert _names(result) == sorted(f"city{i}" for i in range(25))
    assert {f["geometry"]["type"] for f in result["features"]} == {"Polygon"}


def test_layer_reference_buffer_is_100_m_on_the_ground(client):
    """Through a layer reference too, a 100 m buffer of a lon/lat point is 100 m (pyproj.Geod)."""
    result = client.post("/api/processes/buffer/execution", json=_buffer(
        {"layerReference": {"collectionId": "cities", "filter": "name = 'city13'"}})).json()
    (feature,) = result["features"]
    ring = np.asarray(feature["geometry"]["coordinates"][0])
    _, _, distances = GEOD.inv(np.full(len(ring), 3.0), np.full(len(ring), 1.0),
                               ring[:, 0], ring[:, 1])
    assert distances == pytest.approx(100.0, rel=0.01)


def test_layer_reference_filter_bbox_and_properties_are_applied(client):
    reference = {"collectionId": "cities",
                 "filter": {"op": ">=", "args": [{"property": "population"}, 11000]},
                 "bbox": [0.5, 0.5, 4.5, 1.5], "properties": ["name"]}
    result = client.post("/api/processes/buffer/execution",
                         json=_buffer({"layerReference": reference})).json()
    assert _names(result) == ["city11", "city12", "city13", "city14"]
    assert all(list(f["properties"]) == ["name"] for f in result["features"])


def test_layer_reference_href_to_own_items_url_is_resolved_internally(client):
    href = "http://testserver/api/collections/cities/items?filter=population%20%3C%203000"
    response = client.post("/api/processes/buffer/execution", json=_buffer({"href": href}))
    assert response.status_code == 200, response.text
    assert _names(response.json()) == ["city0", "city1", "city2"]


def test_layer_reference_async_job_runs_in_chunks_with_progress(client):
    response = client.post("/api/processes/buffer/execution", headers={"Prefer": "respond-async"},
                           json=_buffer({"layerReference": "cities"}))
    assert response.status_code == 201, response.text
    info = poll(client, response.json()["jobID"])
    assert info["status"] == "successful", info
    assert info["progress"] == 100
    result = client.get(f"/api/jobs/{info['jobID']}/results").json()
    assert len(result["features"]) == 25
    one = client.get(f"/api/jobs/{info['jobID']}/results/result")
    assert one.status_code == 200 and len(one.json()["features"]) == 25


def test_layer_reference_with_dissolve_reads_the_whole_layer(client):
    result = client.post("/api/processes/buffer/execution", json=_buffer(
        {"layerReference": "cities"}, dissolve=True)).json()
    assert len(result["features"]) == 1
    assert shapely.geometry.shape(result["features"][0]["geometry"]).geom_type == "MultiPolygon"


@pytest.mark.parametrize(("reference", "message"), [
    ({"layerReference": "nowhere"}, "no collection 'nowhere'"),
    ({"layerReference": {"collectionId": "cities", "filter": "colour = 'red'"}},
     "unknown property 'colour'"),
    ({"layerReference": {"collectionId": "cities", "filter": "name = = 'x'"}}, "not valid cql2-text"),
    ({"layerReference": {"collectionId": "cities", "properties": ["nope"]}}, "unknown property"),
    ({"layerReference": {"collectionId": "cities", "bbox": [1, 2]}}, "bbox"),
    ({"layerReference": {"collection": "cities"}}, "collectionId"),
    ({"layerReference": "../etc"}, "not a valid collection id"),
    ({"layerReference": {"collectionId": "cities", "limit": "abc"}}, "limit must be a positive"),
    ({"layerReference": {"collectionId": "cities", "limit": 2.5}}, "limit must be a positive"),
])
def test_layer_reference_bad_references_are_400_and_store_nothing(client, services, reference,
                                                                   message):
    response = client.post("/api/processes/buffer/execution", json=_buffer(reference))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    assert services.manager.list()[1] == 0


def test_layer_reference_on_a_non_feature_input_is_refused(client):
    body = {"inputs": {"features": {"layerReference": "cities"},
                       "distance": {"layerReference": "cities"}}}
    response = client.post("/api/processes/buffer/execution", json=body)
    assert response.status_code == 400
    assert "not a feature collection" in response.json()["detail"]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://h:8080/api/collections/cities/items", LayerReference("cities")),
    ("http://h:8080/api/collections/cities", LayerReference("cities")),
    ("http://H:8080/api/collections/cities/items?filter=a%3D1&bbox=0,0,1,1&limit=5",
     LayerReference("cities", "a=1", None, (0, 0, 1, 1), None, 5)),
    ("http://other:8080/api/collections/cities/items", None),
    ("http://h:8080/api/processes/buffer", None),
    ("https://h:8080/api/collections/cities/items", None),
])
def test_reference_from_url_recognises_only_this_servers_collections(url, expected):
    assert reference_from_url(url, "http://h:8080") == expected


@pytest.mark.parametrize("query", ["name=city1", "offset=5", "bbox-crs=EPSG:4326&bbox=0,0,1,1",
                                   "colour=red"])
def test_reference_from_url_refuses_what_it_cannot_apply(query):
    """The URL's own answer would be other features: a 400, never a silently bigger selection."""
    with pytest.raises(InvalidParameter, match="cannot be applied to a layer reference"):
        reference_from_url(f"http://h:8080/api/collections/cities/items?{query}", "http://h:8080")


@pytest.mark.parametrize("limit", ["abc", "-5", "%C2%B2"])
def test_reference_from_url_refuses_a_limit_that_is_not_a_whole_number(limit):
    """Dropping it would select the whole layer; '²' passes str.isdigit yet int() refuses it."""
    with pytest.raises(InvalidParameter, match="limit must be a whole number"):
        reference_from_url(f"http://h:8080/api/collections/cities/items?limit={limit}",
                           "http://h:8080")


def test_layer_reference_chunks_reach_the_workers_one_bounded_chunk_at_a_time(client, services):
    """25 features, chunks of 7: four work items of at most 7 features, never the whole layer."""
    seen = []
    executor = services.manager.executor
    real = executor.submit

    def spy(item, listener, **kwargs):
        features = (item.inputs or {}).get("features")
        seen.append(len(features) if features is not None else None)
        return real(item, listener, **kwargs)

    executor.submit = spy
    response = client.post("/api/processes/buffer/execution", headers={"Prefer": "respond-async"},
                           json=_buffer({"layerReference": "cities"}))
    assert poll(client, response.json()["jobID"])["status"] == "successful"
    assert seen == [7, 7, 7, 4]
    messages = services.manager.messages(response.json()["jobID"])
    assert any("Processing 25 features of collection 'cities' in chunks of 7" in m.text
               for m in messages)
