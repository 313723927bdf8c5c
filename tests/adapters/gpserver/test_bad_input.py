"""Bad requests get ArcGIS error JSON (HTTP 200, code inside) with a message a person can act on."""

import html
import json

import pytest

from tests.adapters.gpserver.conftest import GP, METERS, ROOT, error_of, point_set, square_set

POINTS = json.dumps(point_set((10, 50)))


@pytest.mark.parametrize(("path", "code", "words"), [
    (f"{ROOT}/Nope/GPServer", 404, "no GP service 'Nope'"),
    (f"{ROOT}/Nowhere/Geoprocessing/GPServer", 404, "no GP service"),
    (f"{GP}/buffer", 404, "case-sensitive"),
    (f"{GP}/Unknown/execute", 404, "no task 'Unknown'"),
    (f"{GP}/Buffer/jobs/not-a-job", 404, "not-a-job"),
    (f"{GP}/Buffer/jobs/not-a-job/results/result", 404, "not-a-job"),
    (f"{GP}/Buffer/jobs/not-a-job/cancel", 404, "not-a-job"),
    (f"{GP}/Buffer/jobs", 404, "no GPServer resource"),
    ("/arcgis/rest", 404, "start at"),
])
def test_unknown_service_task_or_job(client, path, code, words):
    error = error_of(client.get(path, params={"f": "json"}))
    assert error["code"] == code and words in error["message"]


@pytest.mark.parametrize(("params", "words"), [
    ({"features": "{not json", "distance": METERS}, "'features' is not valid JSON"),
    ({"features": POINTS, "distance": '{"distance": 100, "units": '}, "'distance' is not valid"),
    ({"features": POINTS, "distance": json.dumps({"distance": 1, "units": "esriFurlongs"})},
     "unknown units 'esriFurlongs'"),
    ({"distance": METERS}, "needs input 'features'"),
    ({"features": POINTS, "distance": METERS, "env:outSR": "999999"},
     "env:outSR: unknown spatial reference wkid 999999"),
    ({"features": POINTS, "distance": METERS, "context": json.dumps({"processSR": {"wkid": -1}})},
     "context.processSR"),
    ({"features": POINTS, "distance": METERS, "context": "[1, 2"}, "'context' is not valid JSON"),
    ({"features": json.dumps(point_set((10, 50), wkid=None) | {"spatialReference": {"wkid": 12}}),
      "distance": METERS}, "unknown spatial reference wkid 12"),
    ({"features": json.dumps({"features": [{"geometry": {"rings": [[[0, 0], [0, 1], [1, 1],
                                                                     [0, 0]]]}}],
                              "geometryType": "esriGeometryPoint"}), "distance": METERS},
     "geometryType is esriGeometryPoint"),
    ({"features": json.dumps({"features": [{"geometry": {"x": 1.5e6, "y": 6.9e6}}]}),
      "distance": METERS}, "spatialReference"),
    ({"features": json.dumps({"url": "http://example.org/FeatureServer/0"}), "distance": METERS},
     "fetched only from this server's own collections"),
    ({"features": POINTS, "distance": METERS, "returnZ": "maybe"}, "returnZ must be true or false"),
])
def test_bad_buffer_input_is_a_400_naming_the_problem(client, params, words):
    error = error_of(client.post(f"{GP}/Buffer/execute", data={**params, "f": "json"}))
    assert error["code"] == 400
    assert words in error["message"], error["message"]
    assert "Traceback" not in json.dumps(error)


def test_wrong_geometry_type_for_the_parameter(client):
    error = error_of(client.post(f"{GP}/PolygonArea/execute",
                                 data={"polygons": POINTS, "f": "json"}))
    assert error["code"] == 400
    assert "takes esriGeometryPolygon features, got esriGeometryPoint" in error["message"]


def test_missing_required_parameter_is_named(client):
    error = error_of(client.post(f"{GP}/PolygonArea/execute", data={"f": "json"}))
    assert error["code"] == 400 and "needs input 'polygons'" in error["message"]


def test_value_outside_the_choice_list(client):
    params = {"text": "gamma", "count": "1", "ratio": "1", "flag": "true", "when": "0",
              "distance": "1", "area": "1", "names": "a", "sr": "4326",
              "box": json.dumps({"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1}),
              "shape": json.dumps(square_set(0, 0, 1, 4326))}
    error = error_of(client.post(f"{GP}/AllTypes/execute", data={**params, "f": "json"}))
    assert "'gamma' is not allowed" in error["message"] and "alpha" in error["message"]


def test_bad_input_to_submit_job_stores_no_job(client, services):
    before = services.manager.list(limit=10_000)[1]
    error = error_of(client.post(f"{GP}/Buffer/submitJob", data={"features": "{", "f": "json"}))
    assert error["code"] == 400
    assert services.manager.list(limit=10_000)[1] == before


def test_unsupported_format_is_refused(client):
    error = error_of(client.get(GP, params={"f": "kmz"}))
    assert error["code"] == 400 and "f=json" in error["message"]


def test_errors_as_html_carry_the_real_status(client):
    response = client.get(f"{GP}/Unknown", params={"f": "html"})
    assert response.status_code == 404
    assert "no task 'Unknown'" in html.unescape(response.text)


def test_get_on_upload_and_delete_operations_is_refused(client):
    assert "POST" in error_of(client.get(f"{GP}/uploads/upload", params={"f": "json"}))["message"]
    assert "POST" in error_of(client.get(f"{GP}/uploads/abc/delete",
                                         params={"f": "json"}))["message"]


def test_an_empty_spatial_reference_is_a_400_not_a_crash(client):
    """sr='""' once became SpatialReference(None) and a 500 further on."""
    params = {"text": "beta", "count": "3", "ratio": "1.5", "flag": "true", "when": "0",
              "distance": METERS, "area": json.dumps({"area": 2, "units": "esriHectares"}),
              "names": "[]", "sr": '""', "box": json.dumps({"xmin": 1, "ymin": 2, "xmax": 3,
                                                          "ymax": 4}),
              "shape": json.dumps({"x": 5, "y": 6, "spatialReference": {"wkid": 4326}})}
    error = error_of(client.post(f"{GP}/AllTypes/execute", data={**params, "f": "json"}))
    assert error["code"] == 400
    assert "input 'sr': a spatial reference is" in error["message"], error["message"]
