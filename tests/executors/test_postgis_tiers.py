"""Tier 2 (PostGIS SQL) against tier 1 (shapely in a worker) on the same PostGIS layers, and
the tier rules as clients see them: which tier runs, fallback with a warning, pinned tiers
refused with 400/409, the tier shown on every surface, cancel and time limits of a query.

The comparison is one parametrised suite over every process that has both tiers: the
same request is run pinned to ``postgis`` and to ``shapely``; counts must be equal, areas
and lengths within a tolerance, attributes equal.
"""

from __future__ import annotations

import math
import threading
import time

import psycopg
import pytest
import shapely
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from honua.app import create_app
from honua.executors.postgis_sql import BUILDERS
from honua.settings import Settings
from tests.support import postgis_layers, postgres

SLOW = ("SELECT id, name, geom FROM points "
        "WHERE pg_sleep(CASE WHEN id = 300 THEN 30 ELSE 0 END) IS NOT NULL")

MIXED = ("SELECT id, zone, geom FROM parcels UNION ALL "
         "SELECT 1000 + id, kind, geom FROM points WHERE id = 1")
"""Polygons, and one point among them (the layer's geometry type, read off a row, says
polygon)."""


def _settings(tmp, url, **changes):
    layers = (*postgis_layers.layer_specs(url),
              {"id": "pg-slow", "url": url, "sql": SLOW, "id_column": "id"},
              {"id": "pg-mixed", "url": url, "sql": MIXED, "id_column": "id"})
    return Settings(data_dir=tmp / "data", workers=1, worker_max_jobs=50, job_timeout_seconds=60,
                    cleanup_interval_seconds=3600, layers=layers, postgis_pool_size=2,
                    postgis_pool_timeout_seconds=1.0, **changes)


@pytest.fixture(scope="module")
def app(tmp_path_factory, postgis_layers_url):
    return create_app(_settings(tmp_path_factory.mktemp("tiers"), postgis_layers_url))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def ref(collection, **extra):
    return {"layerReference": {"collectionId": collection, **extra}}


def execute(client, process, inputs, tier=None, **headers):
    body = {"inputs": inputs, "response": "document"}
    if tier is not None:
        body["tier"] = tier
    return client.post(f"/api/processes/{process}/execution", json=body, headers=headers)


def last_job(client, process):
    jobs = client.get("/api/jobs", params={"processID": process, "limit": 1}).json()["jobs"]
    return jobs[0]


def features_of(response):
    assert response.status_code == 200, response.text
    return response.json()["result"]["value"]["features"]


def poll(client, job_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["status"] not in ("accepted", "running") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


CASES = [
    ("buffer", {"features": ref("pg-points"), "distance": {"value": 500, "unit": "meters"}}),
    ("buffer", {"features": ref("pg-parcels", filter="value < 20"), "distance": 300,
                "cap_style": "flat", "join_style": "mitre"}),
    ("buffer", {"features": ref("pg-parcels-utm"), "distance": {"value": 0.1, "unit": "km"}}),
    ("buffer", {"features": ref("pg-points", filter="pop > 400"), "distance_field": "pop",
                "distance": {"value": 1, "unit": "meters"}}),
    ("buffer", {"features": ref("pg-points"), "distance": 800, "dissolve_fields": ["kind"]}),
    ("buffer", {"features": ref("pg-parcels"), "distance": 100, "dissolve": True}),
    ("dissolve", {"features": ref("pg-parcels"), "dissolve_fields": ["zone"],
                  "statistics_fields": ["value"],
                  "statistics": ["count", "sum", "mean", "min", "max", "first"]}),
    ("dissolve", {"features": ref("pg-parcels", bbox=[10, 50, 10.45, 50.45])}),
    ("dissolve", {"features": ref("pg-parcels", filter="value < 30"),
                  "dissolve_fields": ["zone"], "multipart": False}),
    ("dissolve", {"features": ref("pg-points"), "dissolve_fields": ["kind"],
                  "statistics_fields": ["name", "pop"], "statistics": ["first", "count"]}),
    ("clip", {"features": ref("pg-points"), "clip_features": ref("pg-parcels",
                                                                 filter="zone = 'z1'")}),
    ("clip", {"features": ref("pg-parcels"), "clip_features": ref("pg-parcels-utm")}),
    ("clip", {"features": ref("pg-parcels", filter="value > 50"),
              "clip_features": ref("pg-parcels", filter="value < 60")}),
    ("centroid", {"features": ref("pg-parcels")}),
    ("centroid", {"features": ref("pg-parcels-utm")}),
    ("centroid", {"features": ref("pg-parcels"), "method": "inside"}),
    ("select_by_attribute", {"features": ref("pg-points"), "filter": "pop > 500 AND kind = 'a'"}),
    ("erase", {"features": ref("pg-points"), "erase_features": ref("pg-parcels",
                                                                   filter="zone = 'z1'")}),
    ("erase", {"features": ref("pg-parcels"), "erase_features": ref("pg-parcels-utm")}),
    ("convex_hull", {"features": ref("pg-parcels", filter="value < 40")}),
    ("near", {"features": ref("pg-points", filter="kind = 'a'"),
              "near_features": ref("pg-points", filter="kind = 'b'")}),
    ("near", {"features": ref("pg-points", filter="kind = 'c'"), "distance_unit": "kilometers",
              "near_features": ref("pg-points", filter="kind = 'b'"),
              "search_radius": {"value": 3, "unit": "kilometers"}}),
    ("near", {"features": ref("pg-parcels-utm"), "near_features": ref("pg-points")}),
    ("project", {"features": ref("pg-parcels"), "output_crs": "EPSG:32632"}),
    ("project", {"features": ref("pg-parcels-utm"), "output_crs": 4326}),
    ("select_by_location", {"features": ref("pg-points"),
                            "selecting_features": ref("pg-parcels", filter="zone = 'z2'")}),
    ("select_by_location", {"features": ref("pg-parcels"), "predicate": "touches",
                            "selecting_features": ref("pg-parcels", filter="value = 44"),
                            "invert": True}),
    ("select_by_location", {"features": ref("pg-parcels"), "predicate": "contains",
                            "selecting_features": ref("pg-points")}),
    ("select_by_attribute", {"features": ref("pg-points", filter="score < 0.5"),
                             "filter": "name LIKE 'p1%' OR pop BETWEEN 10 AND 90",
                             "invert": True}),
    ("select_by_attribute", {"features": ref("pg-parcels"),
                             "filter": "S_INTERSECTS(geometry, BBOX(10.2, 50.2, 10.5, 50.5))"}),
    ("simplify", {"features": ref("pg-wiggles"), "tolerance": {"value": 100, "unit": "meters"}}),
    ("simplify", {"features": ref("pg-wiggles", filter="label < 'w5'"),
                  "tolerance": {"value": 0.5, "unit": "kilometers"}}),
    ("simplify", {"features": ref("pg-parcels-utm"), "tolerance": 30}),
    ("simplify", {"features": ref("pg-points"), "tolerance": 30}),
    ("spatial_join", {"target_features": ref("pg-points"), "join_features": ref("pg-parcels")}),
    ("spatial_join", {"target_features": ref("pg-parcels"),
                      "join_features": ref("pg-points", filter="pop > 900"),
                      "join_fields": ["name", "pop"], "keep_all": False}),
    ("spatial_join", {"target_features": ref("pg-parcels"), "predicate": "touches",
                      "join_features": ref("pg-parcels", filter="zone = 'z1'")}),
    ("spatial_join", {"target_features": ref("pg-parcels-utm"), "predicate": "within",
                      "join_features": ref("pg-parcels")}),
    ("summarize_within", {"polygons": ref("pg-parcels"), "summary_features": ref("pg-points")}),
    ("summarize_within", {"polygons": ref("pg-parcels", filter="zone = 'z2'"),
                          "summary_features": ref("pg-wiggles"), "length_unit": "kilometers",
                          "keep_all": False}),
    ("summarize_within", {"polygons": ref("pg-parcels"), "area_unit": "hectares",
                          "summary_features": ref("pg-parcels-utm")}),
    ("summarize_within", {"polygons": ref("pg-parcels-utm"),
                          "summary_features": ref("pg-parcels")}),
    ("intersect", {"layers": [ref("pg-parcels", filter="value < 50"), ref("pg-parcels-utm")]}),
    ("intersect", {"layers": [ref("pg-points"), ref("pg-parcels", filter="zone = 'z1'"),
                              ref("pg-parcels", filter="value < 60")]}),
    ("intersect", {"layers": [ref("pg-wiggles"), ref("pg-parcels", filter="value < 40")]}),
    ("intersect", {"layers": [ref("pg-hostile"), ref("pg-hostile")], "invalid": "keep"}),
    ("union", {"layers": [ref("pg-parcels", filter="value < 30"), ref("pg-parcels-utm")]}),
    ("union", {"layers": [ref("pg-parcels", filter="zone = 'z0'"),
                          ref("pg-parcels-utm", filter="value > 5"),
                          ref("pg-parcels", bbox=[10.25, 50.25, 10.75, 50.75])]}),
]


def test_every_process_with_a_sql_form_is_compared():
    assert {case[0] for case in CASES} == set(BUILDERS)


def _measure(geometry):
    shape = shapely.geometry.shape(geometry) if geometry else None
    if shape is None or shape.is_empty:
        return 0.0
    if shape.geom_type in ("Polygon", "MultiPolygon"):  # a sliver rounded flat is still area 0
        return shape.area
    return shape.area if shape.area > 0 else shape.length


def _same_value(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _part_key(feature):
    centre = shapely.geometry.shape(feature["geometry"]).centroid
    return (repr(sorted(feature["properties"].items())), round(centre.x, 6), round(centre.y, 6))


@pytest.mark.parametrize(("process", "inputs"), CASES,
                         ids=[f"{p}-{i}" for i, (p, _) in enumerate(CASES)])
def test_tier_2_gives_what_tier_1_gives(client, process, inputs):
    sql = features_of(execute(client, process, inputs, tier="postgis"))
    assert last_job(client, process)["tier"] == "postgis"
    python = features_of(execute(client, process, inputs, tier="shapely"))
    assert last_job(client, process)["tier"] == "shapely"
    _compare(process, inputs, sql, python)


def _stored(client, process, inputs, tier):
    """The features of an asynchronous job's stored result (tier 2 writes them as GeoJSON
    in PostgreSQL)."""
    response = execute(client, process, inputs, tier=tier, Prefer="respond-async")
    assert response.status_code == 201, response.text
    status = poll(client, response.json()["jobID"])
    assert status["status"] == "successful" and status["tier"] == tier, status
    results = client.get(f"/api/jobs/{status['jobID']}/results")
    assert results.status_code == 200, results.text
    document = results.json()
    value = document.get("result", document)
    value = value.get("value", value)
    return value["features"], value.get("crs")


@pytest.mark.parametrize(("process", "inputs"), CASES,
                         ids=[f"{p}-{i}" for i, (p, _) in enumerate(CASES)])
def test_stored_tier_2_results_are_tier_1_results(client, process, inputs):
    sql, sql_crs = _stored(client, process, inputs, "postgis")
    python, python_crs = _stored(client, process, inputs, "shapely")
    assert sql_crs == python_crs
    _compare(process, inputs, sql, python)


def _compare(process, inputs, sql, python):
    assert len(sql) == len(python) > 0
    if inputs.get("multipart") is False:  # parts of one group come in no defined order
        sql, python = sorted(sql, key=_part_key), sorted(python, key=_part_key)
    for ours, theirs in zip(sql, python, strict=True):
        assert ours.get("id") == theirs.get("id")
        assert ours["properties"].keys() == theirs["properties"].keys()
        for key, value in ours["properties"].items():
            assert _same_value(value, theirs["properties"][key]), (key, value,
                                                                   theirs["properties"][key])
        a, b = _measure(ours["geometry"]), _measure(theirs["geometry"])
        assert math.isclose(a, b, rel_tol=0.01, abs_tol=1e-12), (a, b)
        if process == "simplify":  # as many vertices kept, give or take a few
            m, n = (len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"])))
                    for f in (ours, theirs))
            assert abs(m - n) <= max(2, 0.1 * n), (m, n)
        if ours["geometry"] and ours["geometry"]["type"] == "Point":
            p = shapely.geometry.shape(ours["geometry"])
            q = shapely.geometry.shape(theirs["geometry"])
            assert p.distance(q) < 2e-5  # about 2 m in degrees, 2e-5 m projected


def test_a_union_of_a_point_layer_is_refused_as_tier_1_refuses_it(client):
    inputs = {"layers": [ref("pg-parcels"), ref("pg-points")]}
    pinned = execute(client, "union", inputs, tier="postgis")
    assert pinned.status_code == 400, pinned.text
    assert "(layer 2) holds Point features" in pinned.json()["detail"]
    unpinned = execute(client, "union", inputs)
    assert unpinned.status_code == 400, unpinned.text
    assert "takes polygon features only" in unpinned.json()["detail"]
    assert last_job(client, "union")["tier"] == "shapely"


def test_one_point_among_polygons_fails_a_union_on_both_tiers(app, client):
    inputs = {"layers": [ref("pg-parcels", filter="value < 5"), ref("pg-mixed")]}
    pinned = execute(client, "union", inputs, tier="postgis")
    assert pinned.status_code >= 400, pinned.text
    detail = pinned.json()["detail"]
    assert "SQL statement of tier 'postgis' failed" in detail
    assert "(layer 2): a feature is a POINT" in detail
    fallen = execute(client, "union", inputs, Prefer="respond-async")
    status = poll(client, fallen.json()["jobID"])
    assert status["status"] == "failed" and status["tier"] == "shapely", status
    messages = app.state.services.manager.messages(status["jobID"])
    assert any(m.level.value == "warning" and "tier 'shapely' instead" in m.text
               for m in messages)
    assert any("takes polygon features only" in m.text for m in messages), messages


def test_a_list_of_layers_with_inline_data_runs_on_tier_1(client):
    inline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"zone": "inline"}, "geometry": {
            "type": "Polygon", "coordinates": [[[10, 50], [10.3, 50], [10.3, 50.3], [10, 50]]]}}]}
    features = features_of(execute(client, "intersect", {"layers": [ref("pg-parcels"), inline]}))
    assert last_job(client, "intersect")["tier"] == "shapely"
    assert {f["properties"]["zone_1"] for f in features} == {"inline"}
    refused = execute(client, "intersect", {"layers": [ref("pg-parcels"), inline]},
                      tier="postgis")
    assert refused.status_code == 400
    assert "not a reference to a PostGIS layer" in refused.json()["detail"]


def test_layer_references_prefer_tier_2_and_inline_data_tier_1(client):
    features_of(execute(client, "centroid", {"features": ref("pg-parcels")}))
    assert last_job(client, "centroid")["tier"] == "postgis"
    inline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                           "coordinates": [10, 50]}}]}
    features_of(execute(client, "centroid", {"features": inline}))
    assert last_job(client, "centroid")["tier"] == "shapely"


def test_a_process_without_sql_runs_on_tier_1_and_refuses_a_pinned_tier_2(client):
    response = execute(client, "densify", {"features": ref("pg-parcels"), "max_segment_length": 1000})
    assert response.status_code == 200, response.text
    assert last_job(client, "densify")["tier"] == "shapely"
    refused = execute(client, "densify", {"features": ref("pg-parcels"), "max_segment_length": 1000},
                      tier="postgis")
    assert refused.status_code == 400 and "postgis" in refused.json()["detail"]


@pytest.mark.parametrize("tier", ["gpu", "Postgis'; DROP TABLE points; --", 7, ["postgis"],
                                  "x" * 100])
def test_unknown_or_hostile_tiers_are_400(client, postgis_layers_url, tier):
    response = execute(client, "centroid", {"features": ref("pg-parcels")}, tier=tier)
    assert response.status_code == 400, response.text
    with psycopg.connect(postgis_layers_url) as conn:
        assert conn.execute("SELECT count(*) FROM points").fetchone()[0] == 300


def test_pinned_tier_2_with_inline_data_is_400(client):
    inline = {"type": "FeatureCollection", "features": []}
    response = execute(client, "centroid", {"features": inline}, tier="postgis")
    assert response.status_code == 400
    assert "not a reference to a PostGIS layer" in response.json()["detail"]


def _hold_tier_pool(app, url, seconds):
    """Take every connection of the tier-2 pool for ``seconds`` (another job's load)."""
    tier = app.state.services.manager.tiers["postgis"]
    held, release = [], threading.Event()

    def hold():
        with tier.connect(url, 5.0) as a, tier.connect(url, 5.0) as b:
            held.extend([a, b])
            release.wait(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    while len(held) < 2:
        time.sleep(0.01)
    tier._healthy.clear()  # the health check must ask the pool again
    return release, thread


def test_a_full_tier_2_pool_falls_back_to_tier_1_with_a_warning(app, client, postgis_layers_url):
    release, thread = _hold_tier_pool(app, postgis_layers_url, 20)
    try:
        response = execute(client, "centroid", {"features": ref("pg-parcels")},
                           Prefer="respond-async")
        assert response.status_code == 201
        status = poll(client, response.json()["jobID"])
        assert status["status"] == "successful" and status["tier"] == "shapely"
        refused = execute(client, "centroid", {"features": ref("pg-parcels")}, tier="postgis")
        assert refused.status_code == 409, refused.text
    finally:
        release.set()
        thread.join()
    messages = app.state.services.manager.messages(status["jobID"])
    assert any(m.level.value == "warning" and "tier 'shapely' instead" in m.text
               for m in messages)


def test_a_refused_statement_falls_back_or_fails_clearly_when_pinned(client):
    inputs = {"features": ref("pg-points"), "distance_field": "name"}  # text: SQL refuses it
    pinned = execute(client, "buffer", inputs, tier="postgis")
    assert pinned.status_code >= 400
    assert "SQL statement of tier 'postgis' failed" in pinned.json()["detail"]
    fallen = execute(client, "buffer", inputs)
    assert fallen.status_code == 400  # tier 1 says what is wrong with the field
    assert "distance_field" in fallen.text
    assert len(features_of(execute(client, "centroid", {"features": ref("pg-points")},
                                   tier="postgis"))) == 300  # the pool is healthy


def _running_queries(url):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                            "AND datname = current_database()").fetchone()[0]


def test_cancelling_a_job_cancels_its_query_within_a_second(client, postgis_layers_url):
    response = execute(client, "centroid", {"features": ref("pg-slow")}, tier="postgis",
                       Prefer="respond-async")
    job_id = response.json()["jobID"]
    deadline = time.monotonic() + 10
    while _running_queries(postgis_layers_url) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _running_queries(postgis_layers_url) == 1
    client.delete(f"/api/jobs/{job_id}")
    started = time.monotonic()
    while _running_queries(postgis_layers_url) and time.monotonic() - started < 15:
        time.sleep(0.05)
    assert time.monotonic() - started < 10  # the query sleeps 30 s unless cancelled
    assert len(features_of(execute(client, "centroid", {"features": ref("pg-parcels")},
                                   tier="postgis"))) == 100


def test_a_query_over_the_jobs_time_limit_is_stopped(tmp_path, postgis_layers_url):
    settings = _settings(tmp_path, postgis_layers_url, sync_timeout_seconds=1.0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        started = time.monotonic()
        response = execute(client, "centroid", {"features": ref("pg-slow")}, tier="postgis")
        assert time.monotonic() - started < 10  # not the 30 s the query would take
        assert response.status_code >= 400 and "time limit" in response.text
    assert _running_queries(postgis_layers_url) == 0


def test_gpserver_and_wps_show_and_pin_the_tier(client):
    layer = '{"url": "http://testserver/api/collections/pg-parcels/items"}'
    base = "/arcgis/rest/services/Geoprocessing/GPServer/Centroid"
    submitted = client.post(f"{base}/submitJob", data={"features": layer, "tier": "postgis",
                                                       "f": "json"})
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()["jobId"]
    deadline = time.monotonic() + 30
    while True:
        job = client.get(f"{base}/jobs/{job_id}", params={"f": "json"}).json()
        if job["jobStatus"] in ("esriJobSucceeded", "esriJobFailed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job["jobStatus"] == "esriJobSucceeded"
    assert {"type": "esriJobMessageTypeInformative", "description": "Tier: postgis"} in \
        job["messages"]
    refused = client.post(f"{base}/submitJob", data={"features": layer, "tier": "gpu",
                                                     "f": "json"})
    assert refused.json().get("error", {}).get("code") == 400
    wps = client.get("/wps", params={"service": "WPS", "version": "1.0.0", "request": "Execute",
                                     "identifier": "centroid", "tier": "postgis",
                                     "datainputs": "features=@xlink:href=http://testserver/api/"
                                                   "collections/pg-parcels/items"})
    assert wps.status_code == 200, wps.text
    assert "(tier postgis)" in wps.text


# -- a database without the extension; the pools closed with the server -------------------------
def _connections(database):
    with postgres.connect(database) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
                            "pid <> pg_backend_pid()", (database,)).fetchone()[0]


def test_a_database_without_postgis_refuses_a_pinned_tier_and_fails_clearly_on_tier_1(
        tmp_path):
    with postgres.fresh_database("honua_noext", postgis=True) as name:
        with postgres.connect(name, autocommit=True) as conn:
            postgis_layers.create_table(conn, "points", *postgis_layers.points(20))
        url = postgres.url(name)
        settings = Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                            cleanup_interval_seconds=3600, layers=(
                                {"id": "noext", "url": url, "table": "public.points"},))
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/api/collections/noext").status_code == 200  # described
            with postgres.connect(name, autocommit=True) as conn:
                conn.execute("DROP EXTENSION postgis CASCADE")
            pinned = execute(client, "centroid", {"features": ref("noext")}, tier="postgis")
            assert pinned.status_code == 409, pinned.text
            assert "PostGIS extension is not installed" in pinned.json()["detail"]
            # unpinned, it falls back to tier 1, which reads the layer through the catalog:
            # without PostGIS the table has no geometry left, so that is a clear 503, not a 500
            fallen = execute(client, "centroid", {"features": ref("noext")})
            assert fallen.status_code == 503, fallen.text
            assert "cannot be read from its database now" in fallen.json()["detail"]
            with postgres.connect(name, autocommit=True) as conn:  # PostGIS is back
                conn.execute("CREATE EXTENSION postgis")
                conn.execute("ALTER TABLE points ADD COLUMN geom geometry")
                conn.execute("UPDATE points SET geom = ST_Point(10 + id * 0.01, 50, 4326)")
            app.state.services.manager.tiers["postgis"]._healthy.clear()
            assert len(features_of(execute(client, "centroid", {"features": ref("noext")},
                                           tier="postgis"))) == 20


def test_the_database_connections_close_when_the_server_stops(tmp_path):
    with postgres.fresh_database("honua_close", postgis=True) as name:
        with postgres.connect(name, autocommit=True) as conn:
            postgis_layers.create_table(conn, "points", *postgis_layers.points(20))
        settings = Settings(data_dir=tmp_path / "data", workers=1, job_timeout_seconds=60,
                            cleanup_interval_seconds=3600, layers=(
                                {"id": "closing", "url": postgres.url(name),
                                 "table": "public.points"},))
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            features_of(execute(client, "centroid", {"features": ref("closing")}, tier="postgis"))
            assert last_job(client, "centroid")["tier"] == "postgis"
            assert _connections(name) > 0  # the pools keep theirs open while serving
        assert _connections(name) == 0


def _jobs_by_tier(app, process):
    """``honua_jobs_total`` of ``process`` ending in success, by tier, as /metrics shows it."""
    # /metrics answers loopback callers; no ``with``: the app is already started
    text = TestClient(app, client=("127.0.0.1", 40000)).get("/metrics").text
    return {sample.labels["tier"]: sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == "honua_jobs_total" and sample.labels["process"] == process
            and sample.labels["status"] == "succeeded"}


def test_metrics_count_jobs_under_the_tier_they_ran_on(app, client):
    before = _jobs_by_tier(app, "convex_hull")
    features_of(execute(client, "convex_hull", {"features": ref("pg-parcels")}))
    inline = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                           "coordinates": [10, 50]}}]}
    submitted = client.post("/api/processes/convex_hull/execution", headers={
        "Prefer": "respond-async"}, json={"inputs": {"features": inline}})
    assert submitted.status_code == 201, submitted.text
    assert poll(client, submitted.json()["jobID"])["status"] == "successful"
    after = _jobs_by_tier(app, "convex_hull")
    assert after.get("postgis", 0) - before.get("postgis", 0) == 1
    assert after.get("shapely", 0) - before.get("shapely", 0) == 1
