"""PostGIS layers in the catalog, as OGC API - Features clients see them: items with bbox,
paging, properties and CQL2 evaluated in PostgreSQL; hostile names and filters refused
cleanly (400) and never reaching the database as SQL."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
from starlette.testclient import TestClient

from honua.app import create_app
from honua.core.catalog import FeatureQuery, parse_filter
from honua.settings import Settings
from honua.store.catalog_postgis import PostGISCatalog
from honua.store.pg_pools import Pools
from tests.support import postgis_layers


@pytest.fixture(scope="module")
def client(tmp_path_factory, postgis_layers_url):
    settings = Settings(data_dir=tmp_path_factory.mktemp("pg") / "data", workers=1,
                        job_timeout_seconds=60, cleanup_interval_seconds=3600,
                        features_max_limit=1000,
                        layers=tuple(postgis_layers.layer_specs(postgis_layers_url)))
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _items(client, layer, **params):
    response = client.get(f"/api/collections/{layer}/items", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _count(url: str, table: str = "points") -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_postgis_layers_are_listed_with_fields_crs_and_extent(client):
    collections = {c["id"]: c for c in client.get("/api/collections").json()["collections"]}
    assert {"pg-points", "pg-parcels", "pg-parcels-utm", "pg-big", "pg-hostile"} <= set(collections)
    extent = collections["pg-points"]["extent"]["spatial"]["bbox"][0]
    assert 10 <= extent[0] < extent[2] <= 12 and 50 <= extent[1] < extent[3] <= 51
    queryables = client.get("/api/collections/pg-points/queryables").json()["properties"]
    assert {"name", "pop", "score", "kind"} <= set(queryables)


def test_items_page_through_the_table_in_id_order(client):
    first = _items(client, "pg-points", limit=100)
    second = _items(client, "pg-points", limit=100, offset=100)
    assert first["numberMatched"] == 300 and len(first["features"]) == 100
    ids = [f["id"] for f in first["features"]] + [f["id"] for f in second["features"]]
    assert ids == list(range(1, 201))
    assert first["features"][0]["geometry"]["type"] == "Point"


def test_bbox_and_properties_are_applied_in_the_database(client):
    page = _items(client, "pg-points", bbox="10,50,11,50.5", properties="name", limit=1000)
    assert page["features"], "the bbox holds points"
    for feature in page["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert 10 <= x <= 11 and 50 <= y <= 50.5
        assert set(feature["properties"]) == {"name"}


@pytest.mark.parametrize(("text", "expected"), [
    ("pop >= 500", lambda p: p["pop"] >= 500),
    ("kind LIKE 'O_Brien'", lambda p: p["kind"] == "O'Brien"),
    ("kind IN ('a', 'b') AND NOT score < 0.5", lambda p: p["kind"] in "ab" and p["score"] >= 0.5),
    ("name LIKE 'p1%'", lambda p: p["name"].startswith("p1")),
    ("pop BETWEEN 100 AND 200", lambda p: 100 <= p["pop"] <= 200),
    ("pop / 0 IS NULL", lambda p: True),
    ("S_INTERSECTS(geom, BBOX(10, 50, 10.5, 50.5))", None),
])
def test_cql2_filters_are_evaluated_in_postgresql(client, text, expected):
    page = _items(client, "pg-points", filter=text, limit=1000)
    every = _items(client, "pg-points", limit=1000)["features"]
    if expected is None:
        assert 0 < len(page["features"]) < 300
        assert all(f["geometry"]["coordinates"][0] <= 10.5 for f in page["features"])
        return
    want = sorted(f["id"] for f in every if expected(f["properties"]))
    assert sorted(f["id"] for f in page["features"]) == want
    assert page["numberMatched"] == len(want)


def test_a_configured_read_only_query_is_a_layer(client):
    page = _items(client, "pg-big", limit=1000)
    assert page["features"] and all(f["properties"]["pop"] >= 500 for f in page["features"])
    one = page["features"][0]
    item = client.get(f"/api/collections/pg-big/items/{one['id']}")
    assert item.status_code == 200 and item.json()["properties"] == one["properties"]


def test_a_projected_layer_is_served_in_lon_lat(client):
    page = _items(client, "pg-parcels-utm", bbox="4,49,16,51", limit=100)
    assert page["numberMatched"] == 16
    x, y = page["features"][0]["geometry"]["coordinates"][0][0]
    assert 10 < x < 11 and 50 < y < 51


def test_hostile_table_and_column_names_are_just_names(client, postgis_layers_url):
    page = _items(client, "pg-hostile", limit=10)
    props = [f["properties"] for f in page["features"]]
    assert props[0][postgis_layers.HOSTILE_COLUMN] == "x'; DROP TABLE points; --"
    cql = {"op": "=", "args": [{"property": postgis_layers.HOSTILE_COLUMN}, "ok"]}
    found = _items(client, "pg-hostile", filter=json.dumps(cql), **{"filter-lang": "cql2-json"})
    assert [f["id"] for f in found["features"]] == [2]
    cql = {"op": ">", "args": [{"property": postgis_layers.UNICODE_COLUMN}, 2]}
    found = _items(client, "pg-hostile", filter=json.dumps(cql), **{"filter-lang": "cql2-json"})
    assert [f["id"] for f in found["features"]] == [2]
    assert _count(postgis_layers_url) == 300


@pytest.mark.parametrize("params", [
    {"filter": '"; DROP TABLE points; -- = 1'},
    {"filter": json.dumps({"op": "=", "args": [{"property": 'x"; DROP TABLE points; --'}, 1]}),
     "filter-lang": "cql2-json"},
    {"filter": "name = 'a'; DROP TABLE points; --"},
    {"filter": "pop = 1 OR 1=1) --"},
    {"properties": 'name,"; DROP TABLE points'},
    {"properties": "naïve"},
    {"filter": "kind = 1"},
])
def test_hostile_filters_and_properties_fail_with_400(client, postgis_layers_url, params):
    response = client.get("/api/collections/pg-points/items", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _count(postgis_layers_url) == 300


@pytest.mark.parametrize("layer", ['pg-points"; DROP TABLE points', "pg-pöints", "pg;points"])
def test_hostile_layer_ids_are_refused(client, postgis_layers_url, layer):
    response = client.get(f"/api/collections/{layer}/items")
    assert response.status_code in (400, 404)
    assert _count(postgis_layers_url) == 300


def test_text_with_quotes_is_a_bound_value(client, postgis_layers_url):
    cql = {"op": "=", "args": [{"property": "name"}, "x'); DROP TABLE points; --"]}
    page = _items(client, "pg-points", filter=json.dumps(cql), **{"filter-lang": "cql2-json"})
    assert page["numberMatched"] == 0
    assert _count(postgis_layers_url) == 300


def test_configured_sql_cannot_write(postgis_layers_url):
    catalog = PostGISCatalog([{"id": "writer", "url": postgis_layers_url,
                               "sql": "WITH gone AS (DELETE FROM points RETURNING *) "
                                      "SELECT * FROM gone"}], Pools(size=1))
    assert catalog.list() == []  # refused by the READ ONLY transaction: not served
    assert _count(postgis_layers_url) == 300


@pytest.mark.parametrize("query", ["SELECT * FROM points; DROP TABLE points",
                                   "SELECT * FROM points; SELECT 1",
                                   "DROP TABLE points", "CREATE TABLE honua_x AS SELECT 1"])
def test_configured_sql_is_one_select_never_ddl(postgis_layers_url, query):
    catalog = PostGISCatalog([{"id": "hostile", "url": postgis_layers_url, "sql": query}],
                             Pools(size=1))
    assert catalog.list() == []  # not served
    assert _count(postgis_layers_url) == 300


def test_configured_sql_with_side_effects_cannot_write(postgis_layers_url):
    """A function that writes (here ``nextval``, a write in PostgreSQL's eyes) is refused by
    the READ ONLY transaction when the features are read."""
    with psycopg.connect(postgis_layers_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE IF NOT EXISTS honua_review_seq")
        before = conn.execute("SELECT last_value FROM honua_review_seq").fetchone()
    catalog = PostGISCatalog([{"id": "counter", "url": postgis_layers_url,
                               "sql": "SELECT *, nextval('honua_review_seq') AS n FROM points"}],
                             Pools(size=1))
    with pytest.raises(Exception):  # noqa: B017 -- whichever error, nothing may be written
        catalog.read("counter", FeatureQuery())
    with psycopg.connect(postgis_layers_url, autocommit=True) as conn:
        assert conn.execute("SELECT last_value FROM honua_review_seq").fetchone() == before


def test_configured_sql_that_sleeps_is_stopped_by_the_statement_timeout(postgis_layers_url):
    import time

    from honua.errors import HonuaError

    catalog = PostGISCatalog([{"id": "sleepy", "url": postgis_layers_url,
                               "sql": "SELECT *, pg_sleep(60) AS z FROM points"}],
                             Pools(size=1), statement_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(HonuaError):  # its description timed out: the layer is not served
        catalog.read("sleepy", FeatureQuery())
    assert catalog.list() == []
    assert time.monotonic() - started < 30  # stopped, not slept through (300 x 60 s)


def test_chunks_stream_from_a_server_side_cursor(postgis_layers_url):
    catalog = PostGISCatalog(postgis_layers.layer_specs(postgis_layers_url), Pools(size=1))
    query = FeatureQuery(filter=parse_filter("pop >= 0"))
    sizes = [len(c) for c in catalog.iter_chunks("pg-points", query, chunk_size=64)]
    assert sizes == [64, 64, 64, 64, 44]


def test_a_database_that_is_down_leaves_the_other_layers_served(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", workers=1, layers=(
        {"id": "gone", "url": "postgresql://postgres@127.0.0.1:1/none", "table": "t"},))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/collections").status_code == 200
        response = client.get("/api/collections/gone/items")
        assert response.status_code == 404


# -- outputs registered as PostGIS tables (postgis_catalog_url) -----------------------------------
@pytest.fixture
def pg_store_client(tmp_path, postgis_layers_url):
    settings = Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600, postgis_catalog_url=postgis_layers_url,
                        layers=tuple(postgis_layers.layer_specs(postgis_layers_url)))
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client, app.state.services


def _register(collection_id, **register):
    return {"inputs": {"features": {"layerReference": {"collectionId": "pg-parcels",
                                                       "filter": "value < 10"}},
                       "distance": 100},
            "outputs": {"result": {"registerAs": {"collectionId": collection_id, **register}}}}


def _tables(url):
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'honua_registered'")}


def test_registered_outputs_become_postgis_tables_with_ttl_and_owner(pg_store_client,
                                                                     postgis_layers_url):
    import datetime as dt

    client, services = pg_store_client
    done = client.post("/api/processes/buffer/execution", json=_register("kept-buffers", ttl="2h"))
    assert done.status_code in (200, 201), done.text
    assert "kept-buffers" in _tables(postgis_layers_url)
    page = _items(client, "kept-buffers", limit=100)
    assert page["numberMatched"] == 10 and page["features"][0]["geometry"]["type"] == "Polygon"
    assert {"zone", "value"} <= set(page["features"][0]["properties"])
    clash = client.post("/api/processes/buffer/execution", json=_register("kept-buffers"))
    assert clash.status_code == 409
    again = client.post("/api/processes/buffer/execution",
                        json=_register("kept-buffers", overwrite=True, ttl="2h"))
    assert again.status_code in (200, 201), again.text
    configured = client.post("/api/processes/buffer/execution", json=_register("pg-points"))
    assert configured.status_code == 409
    manager = services.manager
    real = manager.clock
    manager.clock = lambda: real() + dt.timedelta(hours=3)
    manager.cleanup()
    assert client.get("/api/collections/kept-buffers").status_code == 404
    assert "kept-buffers" not in _tables(postgis_layers_url)


@pytest.mark.parametrize("collection_id", ['x"; DROP TABLE points; --', "ünï", "a;b", ""])
def test_hostile_registered_ids_are_400(pg_store_client, postgis_layers_url, collection_id):
    client, _ = pg_store_client
    response = client.post("/api/processes/buffer/execution", json=_register(collection_id))
    assert response.status_code == 400
    assert _count(postgis_layers_url) == 300


def _layer_rows(url, table):
    from psycopg import sql

    with psycopg.connect(url) as conn:
        return conn.execute(sql.SQL("SELECT zone, value, ST_Area(geom), ST_SRID(geom) FROM {} "
                                    "ORDER BY honua_fid").format(
            sql.Identifier("honua_registered", table))).fetchall()


def test_a_tier_2_result_is_written_inside_the_database(pg_store_client, postgis_layers_url):
    client, services = pg_store_client
    sql_run = client.post("/api/processes/buffer/execution",
                          json={**_register("in-db", ttl="2h"), "tier": "postgis",
                                "response": "document"})
    assert sql_run.status_code == 200, sql_run.text
    # the output is the layer itself, not its rows brought out of the database
    assert sql_run.json()["result"] == {"value": {"layerReference": {"collectionId": "in-db"}},
                                        "mediaType": "application/json"}
    python_run = client.post("/api/processes/buffer/execution",
                             json={**_register("in-python", ttl="2h"), "tier": "shapely"})
    assert python_run.status_code in (200, 201), python_run.text
    ours, theirs = _layer_rows(postgis_layers_url, "in-db"), _layer_rows(postgis_layers_url,
                                                                          "in-python")
    assert len(ours) == len(theirs) == 10
    for a, b in zip(ours, theirs, strict=True):
        assert a[:2] == b[:2] and a[3] == b[3] == 4326
        assert abs(a[2] - b[2]) <= 0.01 * b[2]
    layer = client.get("/api/collections/in-db").json()
    assert layer["honua:registered"]["expires"]
    page = _items(client, "in-db", limit=100)
    assert page["numberMatched"] == 10 and page["features"][0]["geometry"]["type"] == "Polygon"
    assert client.post("/api/processes/buffer/execution",
                       json={**_register("in-db"), "tier": "postgis"}).status_code == 409
    services.manager.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    services.manager.cleanup()
    assert "in-db" not in _tables(postgis_layers_url)


def test_a_tier_2_result_refused_in_the_database_leaves_no_table(pg_store_client,
                                                                  postgis_layers_url):
    client, _ = pg_store_client
    body = {"inputs": {"features": {"layerReference": {"collectionId": "pg-points"}},
                       "distance_field": "name"},  # text: the SQL statement fails
            "outputs": {"result": {"registerAs": {"collectionId": "never-made"}}},
            "tier": "postgis"}
    response = client.post("/api/processes/buffer/execution", json=body)
    assert response.status_code >= 400
    assert "never-made" not in _tables(postgis_layers_url)
    assert client.get("/api/collections/never-made").status_code == 404
