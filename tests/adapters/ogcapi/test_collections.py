"""OGC API - Features at /api/collections: collections, queryables, items, paging, filters."""

from __future__ import annotations

import pytest
import shapely
from starlette.testclient import TestClient

from honua.app import create_app
from honua.settings import Settings
from tests.support.layers import write_layer
from tests.support.servers import serve

GEOJSON = "application/geo+json"
FEATURES_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


@pytest.fixture(scope="module")
def features_settings(tmp_path_factory):
    """One data folder for the module: these tests only read the catalog."""
    data = tmp_path_factory.mktemp("features") / "data"
    write_layer(data / "layers" / "cities.gpkg", 25)
    write_layer(data / "layers" / "towns.fgb", 3)
    write_layer(data / "layers" / "utm.gpkg", 2, crs="EPSG:32631",
                geometry=shapely.points([[500000, 0], [600000, 1000]]))
    settings = Settings(data_dir=data, workers=1, worker_max_jobs=50, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600, features_default_limit=10,
                        features_max_limit=20)
    return settings


@pytest.fixture(scope="module")
def client(features_settings):
    with TestClient(create_app(features_settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live_server(features_settings):
    with serve(create_app(features_settings)) as base:
        yield base


def _links(document, rel):
    return [link["href"] for link in document["links"] if link["rel"] == rel]


def assert_feature_collection(page):
    """What OGC API - Features Part 1 (/req/geojson/content) asks of an items response."""
    assert page["type"] == "FeatureCollection"
    assert page["numberReturned"] == len(page["features"])
    assert isinstance(page["timeStamp"], str) and page["timeStamp"].endswith("Z")
    assert _links(page, "self")
    for feature in page["features"]:
        assert feature["type"] == "Feature" and "id" in feature
        assert feature["geometry"]["type"] and isinstance(feature["properties"], dict)


def test_collections_conformance_and_landing_link(client):
    assert FEATURES_CORE in client.get("/api/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in client.get(
        "/api/conformance").json()["conformsTo"]
    landing = client.get("/api/").json()
    assert any(href.endswith("/api/collections") for href in _links(landing, "data"))


def test_collections_list_describes_each_layer(client):
    response = client.get("/api/collections")
    assert response.status_code == 200
    collections = {c["id"]: c for c in response.json()["collections"]}
    assert set(collections) == {"cities", "towns", "utm"}
    cities = collections["cities"]
    assert cities["itemType"] == "feature"
    assert cities["extent"]["spatial"]["bbox"] == [[0.0, 0.0, 9.0, 2.0]]
    assert cities["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    items = [link for link in cities["links"] if link["rel"] == "items"]
    assert items[0]["type"] == GEOJSON and items[0]["href"].endswith("/api/collections/cities/items")


def test_collections_queryables_list_fields_with_types(client):
    response = client.get("/api/collections/cities/queryables")
    assert response.headers["content-type"].startswith("application/schema+json")
    properties = response.json()["properties"]
    assert properties["population"]["type"] == "integer"
    assert properties["score"]["type"] == "number"
    assert properties["geometry"]["format"] == "geometry-point"


def test_collections_items_default_limit_and_next_links_walk_all(client):
    url, seen, pages = "/api/collections/cities/items", [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == GEOJSON
        page = response.json()
        assert_feature_collection(page)
        assert page["numberMatched"] == 25
        seen += [f["properties"]["name"] for f in page["features"]]
        nxt = _links(page, "next")
        url = nxt[0] if nxt else None
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(f"city{i}" for i in range(25))


def test_collections_items_limit_is_capped_at_the_maximum(client):
    page = client.get("/api/collections/cities/items?limit=1000").json()
    assert page["numberReturned"] == 20


def test_collections_items_bbox_properties_and_cql2_text(client):
    page = client.get("/api/collections/cities/items", params={
        "bbox": "0.5,0.5,3.5,1.5", "properties": "name",
        "filter": "population > 11000", "filter-lang": "cql2-text"}).json()
    assert sorted(f["properties"]["name"] for f in page["features"]) == ["city12", "city13"]
    assert all(list(f["properties"]) == ["name"] for f in page["features"])
    assert page["numberMatched"] == 2


def test_collections_items_bbox_across_the_antimeridian(client):
    """OGC API - Features /req/core/fc-bbox-definition: west > east spans the antimeridian."""
    page = client.get("/api/collections/cities/items", params={
        "bbox": "8.5,-1,0.5,0.5", "properties": "name", "filter": "population >= 0"}).json()
    assert sorted(f["properties"]["name"] for f in page["features"]) == ["city0", "city9"]
    assert page["numberMatched"] == 2


def test_collections_items_bbox_crs_epsg_4326_is_lat_lon(client):
    """OGC API - Features Part 2: a bbox in EPSG:4326 is (minlat, minlon, maxlat, maxlon)."""
    for crs in ("http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326"):
        page = client.get("/api/collections/cities/items", params={
            "bbox-crs": crs, "bbox": "0.5,0.5,1.5,3.5", "properties": "name"}).json()
        assert sorted(f["properties"]["name"] for f in page["features"]) == [
            "city11", "city12", "city13"]


def test_collections_items_cql2_json_filter(client):
    import json

    cql = {"op": "and", "args": [{"op": "like", "args": [{"property": "name"}, "city2%"]},
                                 {"op": "s_intersects", "args": [{"property": "geometry"},
                                                                 {"bbox": [0, 1.5, 3, 2.5]}]}]}
    page = client.get("/api/collections/cities/items", params={
        "filter": json.dumps(cql), "filter-lang": "cql2-json"}).json()
    assert sorted(f["properties"]["name"] for f in page["features"]) == [
        "city20", "city21", "city22", "city23"]


def test_collections_items_queryable_as_query_parameter(client):
    page = client.get("/api/collections/cities/items?name=city7").json()
    assert [f["properties"]["population"] for f in page["features"]] == [7000]


def test_collections_projected_layer_is_served_in_lon_lat(client):
    page = client.get("/api/collections/utm/items").json()
    lon, lat = page["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(3.0) and lat == pytest.approx(0.0, abs=1e-9)


def test_collections_single_item_round_trips_from_the_page(client):
    page = client.get("/api/collections/towns/items").json()
    first = page["features"][1]
    response = client.get(f"/api/collections/towns/items/{first['id']}")
    assert response.status_code == 200 and response.headers["content-type"] == GEOJSON
    feature = response.json()
    assert feature["properties"] == first["properties"]
    assert _links(feature, "collection")


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/api/collections/nope", 404, "no collection 'nope'"),
    ("/api/collections/nope/items", 404, "no collection 'nope'"),
    ("/api/collections/cities/items/999999", 404, "no feature"),
    ("/api/collections/cities/items?filter=colour%3D%27red%27", 400, "unknown property 'colour'"),
    ("/api/collections/cities/items?filter=name%20%3D%20%3D", 400, "not valid cql2-text"),
    ("/api/collections/towns/items?filter=name%3D1", 400, "compares property 'name' (text)"),
    ("/api/collections/towns/items?filter=population%3D%27x%27", 400, "(number) with 'x'"),
    ("/api/collections/cities/items?filter=%7B%22op%22%3A1%7D&filter-lang=cql2-json", 400,
     "not valid cql2-json"),
    ("/api/collections/cities/items?filter-lang=sql&filter=x", 400, "filter-lang"),
    ("/api/collections/cities/items?bbox=1,2,3", 400, "bbox"),
    ("/api/collections/cities/items?bbox=0,3,1,2", 400, "miny <= maxy"),
    ("/api/collections/cities/items?bbox=0,nan,1,2", 400, "bbox"),
    ("/api/collections/cities/items?limit=0", 400, "limit"),
    ("/api/collections/cities/items?properties=nope", 400, "unknown property 'nope'"),
    ("/api/collections/cities/items?colour=red", 400, "unknown query parameter 'colour'"),
    ("/api/collections/cities/items?bbox-crs=EPSG:3857&bbox=0,0,1,1", 400, "bbox-crs"),
    ("/api/collections/cities/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326", 400,
     "crs 'http://www.opengis.net/def/crs/EPSG/0/4326' is not supported"),
    ("/api/collections/cities/items?filter-crs=EPSG:4326&filter=S_INTERSECTS(geometry,"
     "POINT(1%202))", 400, "filter-crs 'EPSG:4326' is not supported"),
])
def test_collections_bad_requests_get_problem_details(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


def test_collections_owslib_lists_collections_and_fetches_items(live_server):
    """OWSLib's OGC API - Features client, over a real socket."""
    from owslib.ogcapi.features import Features

    api = Features(f"{live_server}/api")
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"cities", "towns"} <= ids
    assert api.collection("cities")["id"] == "cities"
    items = api.collection_items("cities", limit=5, filter="population >= 20000")
    assert items["numberReturned"] == 5 and items["numberMatched"] == 5
    assert api.collection_queryables("cities")["properties"]["name"]["type"] == "string"
    town = api.collection_items("towns")["features"][0]
    assert api.collection_item("towns", str(town["id"]))["properties"] == town["properties"]
