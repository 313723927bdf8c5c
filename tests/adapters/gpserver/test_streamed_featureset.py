"""Job results asked as ``f=json`` are written batch by batch from the stored GeoJSON, never
decoded whole: the answer is the document the whole way makes (``f=pjson`` still goes
that way), member for member, whatever the batches disagree on (attribute types, string
lengths, ids, geometry types), in another CRS, with Z, past ``maximumRecords``, as JSONP."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from honua.adapters.gpserver import streamed_featureset
from honua.settings import Settings
from tests.adapters.gpserver.echo_toolbox import MODULE

TASK = "/arcgis/rest/services/Results/Echo/GPServer/EchoFeatures"
LIMIT = 12


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    services = ({"name": "Echo", "folder": "Results", "processes": ["echo_features"],
                 "execution_type": "async", "maximum_records": LIMIT},)
    return Settings(data_dir=tmp_path_factory.mktemp("streamed") / "data", workers=1,
                    worker_max_jobs=50, job_timeout_seconds=60, cleanup_interval_seconds=3600,
                    process_modules=(MODULE,), gp_services=services)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Every result is streamed, three features at a time."""
    monkeypatch.setattr(streamed_featureset, "BATCH", 3)
    monkeypatch.setattr(streamed_featureset, "STREAM_ABOVE", 0)


def _point(i: int, properties: dict[str, Any], *, z: float | None = None,
           ident: Any = None) -> dict[str, Any]:
    coordinates = [10 + i * 0.001234567891, 50 + i * 0.00098765432] + ([z] if z is not None
                                                                       else [])
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": coordinates},
               "properties": properties}
    if ident is not None:
        feature["id"] = ident
    return feature


def _job(client, features: list[dict[str, Any]], crs: str | None = None) -> str:
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    response = client.post("/api/processes/echo_features/execution",
                           json={"inputs": {"features": collection}},
                           headers={"Prefer": "respond-async"})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    deadline = time.monotonic() + 60
    while (status := client.get(f"/api/jobs/{job_id}").json())["status"] != "successful":
        assert status["status"] in ("accepted", "running"), status
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return job_id


def _whole(job_id: str) -> Any:
    raise AssertionError("f=json decoded the whole result")


@pytest.fixture
def compare(client, services, monkeypatch):
    """Run a job echoing ``features``; its result as f=json (asserting the whole way is not
    taken) equals f=pjson (the whole way); returns the document."""
    def run(features, crs=None, **params):
        url = f"{TASK}/jobs/{_job(client, features, crs)}/results/result"
        whole = client.get(url, params={**params, "f": "pjson"})
        assert whole.status_code == 200
        with monkeypatch.context() as patched:
            patched.setattr(services.manager, "results", _whole)
            streamed = client.get(url, params={**params, "f": "json"})
        assert streamed.status_code == 200
        assert streamed.headers["content-type"].startswith("application/json"), streamed.text
        assert "error" not in streamed.json(), streamed.text
        assert "content-length" not in streamed.headers  # sent as it is written
        document = json.loads(streamed.content)
        expected = json.loads(whole.content)
        assert document == expected, json.dumps([document, expected])
        return document
    return run


MIXED = [  # batches of 3 disagree: ints then floats, bools then ints, long strings late
    _point(0, {"n": 1, "flag": True, "mixed": True, "text": "a", "empty": None}),
    _point(1, {"n": 2, "flag": False, "mixed": True, "text": "b"}),
    _point(2, {"n": 3, "flag": True, "mixed": False, "text": None}),
    _point(3, {"n": 4.5, "flag": None, "mixed": 7, "nested": {"k": [1, 2]}}),
    _point(4, {"n": None, "flag": True, "text": "x" * 300, "late": "only here"}),
    _point(5, {"n": 6, "flag": False, "mixed": "seven", "OBJECTID": 99}),
    {"type": "Feature", "geometry": None, "properties": {"n": 7}},
]


def test_attribute_types_and_lengths_agree_across_batches(compare):
    document = compare(MIXED)
    value = document["value"]
    fields = {f["name"]: f for f in value["fields"]}
    assert fields["OBJECTID_1"]["type"] == "esriFieldTypeOID"  # an attribute is OBJECTID
    assert fields["n"]["type"] == "esriFieldTypeDouble"
    assert fields["flag"]["type"] == "esriFieldTypeSmallInteger"
    assert fields["text"]["length"] == 300
    assert [f["attributes"]["OBJECTID_1"] for f in value["features"]] == list(range(1, 8))
    assert value["features"][6]["geometry"] is None
    assert len(value["features"]) == 7 and value["exceededTransferLimit"] is False


def test_feature_ids_become_object_ids_only_when_all_are_unique_integers(compare):
    unique = compare([_point(i, {"i": i}, ident=100 + i) for i in range(7)])
    assert [f["attributes"]["OBJECTID"] for f in unique["value"]["features"]] == \
        list(range(100, 107))
    repeated = compare([_point(i, {"i": i}, ident=100 + i % 4) for i in range(7)])
    assert [f["attributes"]["OBJECTID"] for f in repeated["value"]["features"]] == \
        list(range(1, 8))
    partly = compare([_point(i, {"i": i}, ident=i if i < 5 else None) for i in range(7)])
    assert [f["attributes"]["OBJECTID"] for f in partly["value"]["features"]] == \
        list(range(1, 8))


def test_another_crs_decimals_and_z_as_the_whole_way(compare):
    points = [_point(i, {"i": i}, z=i * 1.5) for i in range(7)]
    projected = compare(points, outSR="3857", returnZ="true")
    value = projected["value"]
    assert value["spatialReference"]["wkid"] in (102100, 3857) and value["hasZ"] is True
    assert value["features"][3]["geometry"]["z"] == 4.5
    assert abs(value["features"][0]["geometry"]["x"] - 1113194.9) < 1
    coarse = compare(points, geometryPrecision="2")
    assert coarse["value"]["features"][1]["geometry"]["x"] == 10.0
    assert coarse["value"]["hasZ"] is False


def test_points_and_multipoints_make_a_multipoint_set(compare):
    features = [_point(i, {}) for i in range(4)] + [
        {"type": "Feature", "properties": {},
         "geometry": {"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]}}]
    assert compare(features)["value"]["geometryType"] == "esriGeometryMultipoint"


def test_mixed_geometry_types_are_refused_before_anything_is_sent(client, services,
                                                                monkeypatch):
    line = {"type": "Feature", "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    job_id = _job(client, [_point(i, {}) for i in range(5)] + [line])
    url = f"{TASK}/jobs/{job_id}/results/result"
    whole = client.get(url, params={"f": "pjson"}).json()
    monkeypatch.setattr(services.manager, "results", _whole)
    streamed = client.get(url, params={"f": "json"}).json()
    assert streamed == whole and streamed["error"]["code"] == 400
    assert "mixes" in streamed["error"]["message"]


def test_past_maximum_records_the_set_is_empty_with_the_warning(compare):
    document = compare([_point(i, {"i": i, "s": "y" * i}) for i in range(LIMIT + 1)])
    value = document["value"]
    assert value["features"] == [] and value["exceededTransferLimit"] is True
    assert {f["name"] for f in value["fields"]} == {"OBJECTID", "i", "s"}
    (warning,) = document["messages"]
    assert f"{LIMIT + 1} features" in warning["description"]


def test_jsonp_wraps_the_streamed_document(client, services, monkeypatch):
    job_id = _job(client, [_point(i, {"i": i}) for i in range(5)])
    url = f"{TASK}/jobs/{job_id}/results/result"
    monkeypatch.setattr(services.manager, "results", _whole)
    whole = client.get(url, params={"f": "json", "callback": "done"})
    assert whole.headers["content-type"].startswith("application/javascript")
    text = whole.text
    assert text.startswith("done(") and text.endswith(");")
    assert len(json.loads(text[5:-2])["value"]["features"]) == 5


def test_a_small_result_is_answered_the_whole_way(client, monkeypatch):
    monkeypatch.setattr(streamed_featureset, "STREAM_ABOVE", 1 << 20)
    job_id = _job(client, [_point(i, {"i": i}) for i in range(5)])
    response = client.get(f"{TASK}/jobs/{job_id}/results/result", params={"f": "json"})
    assert response.headers["content-length"] == str(len(response.content))
    assert len(response.json()["value"]["features"]) == 5
