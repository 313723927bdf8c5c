"""Feature sets of more than ``TEXT_VALUE_BYTES`` of JSON are read in the worker, not in the
front process (``core.esri_values``), and the worker writes execute's feature outputs as
Esri JSON (``core.esri_outputs``): the answers are the ones the front process gives for
the same request, and so are the errors -- ArcGIS error JSON naming what is wrong."""

from __future__ import annotations

import json

import pytest

from honua.adapters.gpserver import decode
from honua.core.json_text import JSONText
from honua.settings import Settings
from honua.web.json_body import TEXT_VALUE_BYTES
from tests.adapters.gpserver.conftest import METERS, MODULE, error_of, point_set, poll
from tests.adapters.gpserver.schemas import assert_valid

COUNT = 4000
MAX_VERTICES = 5000
BIG = "/arcgis/rest/services/Big/Sync/GPServer"
LIMITED = "/arcgis/rest/services/Big/Limited/GPServer"
JOBS = "/arcgis/rest/services/Big/Jobs/GPServer"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    services = ({"name": "Sync", "folder": "Big", "processes": ["buffer"],
                 "execution_type": "sync", "maximum_records": 10_000},
                {"name": "Limited", "folder": "Big", "processes": ["buffer"],
                 "execution_type": "sync", "maximum_records": 1000},
                {"name": "Jobs", "folder": "Big", "processes": ["buffer"],
                 "execution_type": "async", "maximum_records": 10_000})
    return Settings(data_dir=tmp_path_factory.mktemp("big") / "data", workers=1,
                    worker_max_jobs=50, job_timeout_seconds=60, cleanup_interval_seconds=3600,
                    process_modules=(MODULE,), gp_services=services, max_vertices=MAX_VERTICES)


def _features(count: int = COUNT) -> dict:
    return point_set(*[(i * 0.001, 45.0) for i in range(count)], name="p")


def _form(features: dict | str, **extra: str) -> dict[str, str]:
    text = features if isinstance(features, str) else json.dumps(features)
    assert len(text) > TEXT_VALUE_BYTES
    return {"features": text, "distance": METERS, "f": "json", **extra}


def _execute(client, form: dict[str, str], base: str = BIG) -> dict:
    response = client.post(f"{base}/Buffer/execute", data=form)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_a_big_feature_set_is_left_as_text_for_the_worker(services):
    description = services.registry.get("buffer").description
    env = decode.Environment()
    text = json.dumps(_features())
    inputs = decode.read_inputs(description, {"features": text, "distance": METERS}, env)
    assert isinstance(inputs["features"], JSONText)
    assert inputs["features"].data.startswith(b'{"esriJSON":{')
    small = decode.read_inputs(description, {"features": json.dumps(_features(5))}, env)
    assert len(small["features"]) == 5  # read here, as before
    # an environment to apply here keeps the features here
    there = decode.read_inputs(description, {"features": text},
                               decode.environment({"env:processSR": "3857"}))
    assert not isinstance(there["features"], JSONText)


def test_a_big_feature_set_is_buffered_as_the_front_would_answer_it(client):
    document = assert_valid(_execute(client, _form(_features())), "execute")
    (result,) = document["results"]
    value = result["value"]
    assert result["paramName"] == "result" and len(value["features"]) == COUNT
    assert value["geometryType"] == "esriGeometryPolygon"
    assert value["features"][7]["attributes"]["name"] == "p"
    assert value["features"][7]["attributes"]["OBJECTID"] == 8
    # the same request read in the front process (processSR 4326 is applied there)
    front = _execute(client, _form(_features(), **{"env:processSR": "4326"}))
    assert front["results"][0]["value"] == value


def test_out_sr_is_applied_where_the_output_is_written(client):
    value = _execute(client, _form(_features(), **{"env:outSR": "3857"}))["results"][0]["value"]
    assert value["spatialReference"]["latestWkid"] == 3857
    x, _ = value["features"][0]["geometry"]["rings"][0][0]
    assert abs(x) < 200  # metres around (0, 45) in Web Mercator, not degrees


def test_a_big_feature_set_with_a_bad_geometry_is_a_clear_400(client):
    features = _features()
    features["features"][1234]["geometry"]["x"] = "a"
    error = error_of(client.post(f"{BIG}/Buffer/execute", data=_form(features)))
    assert error["code"] == 400
    assert "input 'features'" in error["message"]
    assert "coordinates must be" in error["message"]
    assert "Traceback" not in json.dumps(error)


def test_a_big_feature_set_that_is_not_json_is_a_clear_400(client):
    text = json.dumps(_features()).replace('"name": "p"}', '"name": "p",}', 1)
    error = error_of(client.post(f"{BIG}/Buffer/execute", data=_form(text)))
    assert error["code"] == 400
    assert "not valid JSON" in error["message"]


def test_a_big_feature_set_of_the_wrong_shape_is_a_clear_400(client):
    text = json.dumps({**_features(), "features": {"not": "a list"}, "pad": "x" * 300_000})
    error = error_of(client.post(f"{BIG}/Buffer/execute", data=_form(text)))
    assert error["code"] == 400 and "features" in error["message"]


def test_a_big_feature_set_past_max_vertices_is_413(client):
    error = error_of(client.post(f"{BIG}/Buffer/execute",
                                 data=_form(_features(MAX_VERTICES + 1))))
    assert error["code"] == 413
    assert f"{MAX_VERTICES:,}" in error["message"]


def test_over_maximum_records_the_whole_result_is_kept_for_its_link(client):
    document = _execute(client, _form(_features()), base=LIMITED)
    value = document["results"][0]["value"]
    assert value["features"] == [] and value["exceededTransferLimit"] is True
    (warning,) = [m["description"] for m in document["messages"]
                  if m["type"] == "esriJobMessageTypeWarning"]
    assert f"{COUNT} features" in warning and "maximumRecords (1000)" in warning
    whole = client.get(warning.rsplit(" ", 1)[-1].replace("http://testserver", ""))
    assert whole.status_code == 200, whole.text[:300]
    assert len(whole.json()["value"]["features"]) == COUNT


def test_a_big_feature_set_of_a_job_is_read_by_its_worker(client):
    job = client.post(f"{JOBS}/Buffer/submitJob", data=_form(_features())).json()
    url = f"{JOBS}/Buffer/jobs/{job['jobId']}"
    assert poll(client, url, timeout=60)["jobStatus"] == "esriJobSucceeded"
    result = client.get(f"{url}/results/result", params={"f": "json"}).json()
    assert len(result["value"]["features"]) == COUNT
    given = client.get(f"{url}/inputs/features", params={"f": "json"}).json()
    assert len(given["value"]["features"]) == COUNT  # the stored input reads back


def test_an_html_execute_of_a_big_feature_set_renders(client):
    response = client.post(f"{BIG}/Buffer/execute", data={**_form(_features()), "f": "html"})
    assert response.status_code == 200
    assert "esriGeometryPolygon" in response.text
