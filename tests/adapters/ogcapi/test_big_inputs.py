"""Inputs of more than ``TEXT_VALUE_BYTES`` of JSON are decoded in the worker, not in the
front process (``core.json_text``): the answers are the same as for small ones, and so
are the errors -- a clear 4xx problem+json naming what is wrong."""

import dataclasses

import orjson
import pytest

from honua.web.json_body import TEXT_VALUE_BYTES
from tests.support.schemas import assert_ogc_valid

COUNT = 4000
MAX_VERTICES = 5000


@pytest.fixture
def settings(settings):
    """The suite's settings with a vertex cap these tests reach."""
    return dataclasses.replace(settings, max_vertices=MAX_VERTICES)


def _points(count: int = COUNT) -> dict:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"n": i},
        "geometry": {"type": "Point", "coordinates": [i * 0.001, 45.0]}} for i in range(count)]}


def _execute(client, features, **extra):
    body = orjson.dumps({"inputs": {"features": features,
                                    "distance": {"value": 10, "unit": "meters"}}, **extra})
    assert len(body) > TEXT_VALUE_BYTES
    return client.post("/api/processes/buffer/execution", content=body,
                       headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("qualified", [False, True])
def test_a_big_input_is_buffered_like_a_small_one(client, qualified):
    features = _points()
    value = {"value": features, "mediaType": "application/geo+json"} if qualified else features
    answer = _execute(client, value)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/geo+json")
    result = answer.json()
    assert len(result["features"]) == COUNT
    assert result["features"][7]["properties"]["n"] == 7
    assert result["features"][0]["geometry"]["type"] == "Polygon"


def test_a_big_input_in_a_results_document(client):
    answer = _execute(client, _points(), response="document")
    assert answer.status_code == 200, answer.text[:300]
    assert len(answer.json()["result"]["value"]["features"]) == COUNT


def test_a_big_input_with_a_bad_geometry_is_a_clear_400(client):
    features = _points()
    features["features"][1234]["geometry"]["coordinates"] = ["a"]
    answer = _execute(client, features)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert_ogc_valid(problem, "exception.yaml")
    assert "invalid GeoJSON geometry" in problem["detail"]
    assert "Traceback" not in answer.text


def test_a_big_input_that_is_not_json_is_a_clear_400(client):
    body = orjson.dumps({"inputs": {"features": _points(), "distance": 5}})
    body = body.replace(b'"n":7}', b'"n":7,}', 1)
    answer = client.post("/api/processes/buffer/execution", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text[:300]
    assert "not valid JSON" in answer.json()["detail"]


def test_a_big_input_past_max_vertices_is_413(client):
    answer = _execute(client, _points(MAX_VERTICES + 1))
    assert answer.status_code == 413, answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    assert f"{MAX_VERTICES:,}" in answer.json()["detail"]
