"""execute, with requests shaped as the JS SDK and the ArcGIS Pro / Python API clients send them."""

import json
from urllib.parse import quote, urlencode

import pytest

from tests.adapters.gpserver.conftest import GP, METERS, PROXIMITY, point_set, square_set
from tests.adapters.gpserver.schemas import assert_valid

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _execute(client, task, params, base=GP):
    response = client.get(f"{base}/{task}/execute", params={**params, "f": "json"})
    assert response.status_code == 200
    return assert_valid(response.json(), "execute")


def _value(document, name="result"):
    (entry,) = [r for r in document["results"] if r["paramName"] == name]
    return entry["value"]


def test_js_sdk_get_with_percent_encoded_env_names(client):
    """The JS SDK sends features with SR per geometry and names like env%3AoutSR."""
    features = point_set((13.4, 52.5), per_geometry=True, Name="pt1")
    query = (f"features={quote(json.dumps(features))}&distance={quote(METERS)}"
             "&env%3AoutSR=102100&f=json")
    document = assert_valid(client.get(f"{GP}/Buffer/execute?{query}").json(), "execute")
    (result,) = document["results"]
    assert result["dataType"] == "GPFeatureRecordSetLayer"
    value = result["value"]
    assert value["geometryType"] == "esriGeometryPolygon"
    assert value["spatialReference"] == {"wkid": 102100, "latestWkid": 3857}
    feature = value["features"][0]
    assert feature["attributes"]["Name"] == "pt1" and feature["attributes"]["OBJECTID"] == 1
    assert abs(feature["geometry"]["rings"][0][0][0]) > 1e6  # metres, not degrees
    assert document["messages"] and all(m["type"].startswith("esriJobMessageType")
                                        for m in document["messages"])


def test_pro_and_python_api_post_form_with_empty_optionals(client):
    """POST urlencoded, every parameter present, None sent as an empty value."""
    body = urlencode({"features": json.dumps(point_set((10, 50))), "distance": METERS,
                      "dissolve": "", "env:outSR": "", "env:processSR": "", "returnZ": "false",
                      "returnM": "false", "returnTrueCurves": "false", "f": "json"})
    response = client.post(f"{GP}/Buffer/execute", content=body, headers=FORM)
    value = _value(assert_valid(response.json(), "execute"))
    assert value["spatialReference"]["wkid"] == 4326
    assert len(value["features"]) == 1


def test_body_wins_over_query_string(client):
    body = urlencode({"distance": json.dumps({"distance": 1, "units": "esriKilometers"}),
                      "f": "json"})
    query = urlencode({"features": json.dumps(point_set((0, 0))), "distance": METERS})
    response = client.post(f"{GP}/Buffer/execute?{query}", content=body, headers=FORM)
    ring = _value(response.json())["features"][0]["geometry"]["rings"][0]
    assert max(p[1] for p in ring) == pytest.approx(1000 / 110574, rel=0.01)


def test_every_gp_data_type_round_trips(client):
    params = {
        "text": "beta", "count": "345", "ratio": "1.5", "flag": "true", "when": "1199145600000",
        "distance": json.dumps({"distance": 3, "units": "esriMiles"}),
        "area": json.dumps({"area": 2, "units": "esriHectares"}),
        "names": json.dumps(["Parcels", "Street Lights"]), "sr": json.dumps({"wkid": 102100}),
        "box": json.dumps({"xmin": 1, "ymin": 2, "xmax": 3, "ymax": 4,
                           "spatialReference": {"wkid": 4326}}),
        "shape": json.dumps({"x": 5, "y": 6, "spatialReference": {"wkid": 4326}}),
    }
    document = _execute(client, "AllTypes", params)
    values = {r["paramName"]: (r["dataType"], r["value"]) for r in document["results"]}
    assert values["out_text"] == ("GPString", "beta")
    assert values["out_count"] == ("GPLong", 345)
    assert values["out_ratio"] == ("GPDouble", 1.5)
    assert values["out_flag"] == ("GPBoolean", True)
    assert values["out_when"] == ("GPDate", 1199145600000)
    assert values["out_distance"] == ("GPLinearUnit", {"distance": 3.0, "units": "esriMiles"})
    assert values["out_area"] == ("GPArealUnit", {"area": 2.0, "units": "esriHectares"})
    assert values["out_names"] == ("GPMultiValue:GPString", ["Parcels", "Street Lights"])
    assert values["out_sr"] == ("GPSpatialReference", {"wkid": 102100, "latestWkid": 3857})
    assert values["out_box"][1] == {"xmin": 1.0, "ymin": 2.0, "xmax": 3.0, "ymax": 4.0,
                                    "spatialReference": {"wkid": 4326, "latestWkid": 4326}}
    shape = values["out_shape"][1]
    assert shape["features"][0]["geometry"] == {"x": 5.0, "y": 6.0}


def test_literal_forms_of_units_and_dates(client):
    params = {"text": "alpha", "count": "1", "ratio": "2", "flag": "0",
              "when": json.dumps({"date": "2025-01-01T14:00:00Z"}), "distance": "5 Kilometers",
              "area": "3 SquareKilometers", "names": "single", "sr": "4326",
              "box": json.dumps({"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1}),
              "shape": json.dumps(point_set((1, 1)))}
    values = {r["paramName"]: r["value"] for r in _execute(client, "AllTypes", params)["results"]}
    assert values["out_when"] == 1735740000000
    assert values["out_distance"] == {"distance": 5.0, "units": "esriKilometers"}
    assert values["out_area"] == {"area": 3.0, "units": "esriSquareKilometers"}
    assert values["out_names"] == ["single"] and values["out_flag"] is False


def test_context_out_sr_wins_over_env_out_sr(client):
    params = {"features": json.dumps(point_set((10, 50))), "distance": METERS,
              "env:outSR": "3857", "context": json.dumps({"outSR": {"wkid": 32632}})}
    assert _value(_execute(client, "Buffer", params))["spatialReference"]["wkid"] == 32632


def test_context_extent_processes_only_features_overlapping_it(client):
    features = point_set((10, 50), (20, 50), (30, 50))
    extent = {"xmin": 15, "ymin": 40, "xmax": 25, "ymax": 60, "spatialReference": {"wkid": 4326}}
    params = {"features": json.dumps(features), "distance": METERS,
              "context": json.dumps({"extent": extent})}
    value = _value(_execute(client, "Buffer", params))
    assert [f["attributes"]["OBJECTID"] for f in value["features"]] == [2]


def test_return_feature_collection_wraps_layer_definition(client):
    params = {"features": json.dumps(point_set((0, 0))), "distance": METERS,
              "returnFeatureCollection": "true"}
    value = _value(_execute(client, "Buffer", params))
    assert value["layerDefinition"]["geometryType"] == "esriGeometryPolygon"
    assert value["layerDefinition"]["objectIdField"] == "OBJECTID"
    assert len(value["featureSet"]["features"]) == 1


def test_return_z_keeps_z_values_only_when_asked(client):
    features = {"geometryType": "esriGeometryPoint", "hasZ": True,
                "spatialReference": {"wkid": 4326},
                "features": [{"geometry": {"x": 1, "y": 2, "z": 30}, "attributes": {}}]}
    params = {"shape": json.dumps(features), "text": "alpha", "count": "1", "ratio": "1",
              "flag": "true", "when": "0", "distance": "1", "area": "1", "names": "a",
              "sr": "4326", "box": json.dumps({"xmin": 0, "ymin": 0, "xmax": 1, "ymax": 1})}
    flat = _value(_execute(client, "AllTypes", params), "out_shape")
    assert flat["features"][0]["geometry"] == {"x": 1.0, "y": 2.0} and flat["hasZ"] is False
    with_z = _value(_execute(client, "AllTypes", {**params, "returnZ": "true"}), "out_shape")
    assert with_z["features"][0]["geometry"]["z"] == 30.0 and with_z["hasZ"] is True


def test_maximum_records_of_the_service_caps_feature_outputs(client):
    """Analysis/Proximity allows 5 records: more gives an empty set and exceededTransferLimit."""
    params = {"features": json.dumps(point_set(*[(i, 0) for i in range(6)])), "distance": METERS}
    value = _value(_execute(client, "Buffer", params, base=PROXIMITY))
    assert value["features"] == [] and value["exceededTransferLimit"] is True
    params["features"] = json.dumps(point_set(*[(i, 0) for i in range(5)]))
    assert len(_value(_execute(client, "Buffer", params, base=PROXIMITY))["features"]) == 5


def test_geometry_type_filter_accepts_the_right_type(client):
    params = {"polygons": json.dumps(square_set(0, 0, 10))}
    assert _value(_execute(client, "PolygonArea", params)) == pytest.approx(100.0)


def test_record_set_input(client):
    rows = {"fields": [{"name": "a", "type": "esriFieldTypeString"}],
            "features": [{"attributes": {"a": "x"}}, {"attributes": {"a": "y"}}]}
    document = _execute(client, "RowCount", {"rows": json.dumps(rows)})
    assert document["results"] == [{"paramName": "result", "dataType": "GPLong", "value": 2}]


def test_default_values_apply_when_inputs_are_omitted(client):
    document = _execute(client, "SyncOnly", {})
    assert _value(document) == "hello"


def test_unknown_request_parameters_are_ignored(client):
    document = _execute(client, "SyncOnly", {"text": "hi", "token": "abc", "returnColumnName":
                                             "true", "simplifyFeatures": "false"})
    assert _value(document) == "hi"


def test_failed_tool_answers_error_with_its_message(client):
    response = client.get(f"{GP}/Fail/execute", params={"text": "bad luck", "f": "json"})
    error = assert_valid(response.json(), "error")["error"]
    assert error["code"] == 500 and "bad luck" in error["message"]


def test_esri_out_feature_service_name_publishes_the_result_as_a_layer(client):
    """As ArcGIS publishes a hosted layer, the result becomes a catalog collection."""
    body = {"features": json.dumps(point_set((10, 50))), "distance": METERS,
            "esri_out_feature_service_name": "buffered_points", "f": "json"}
    assert "error" not in client.post(f"{GP}/Buffer/execute", data=body).json()
    collection = client.get("/api/collections/buffered_points")
    assert collection.status_code == 200
    items = client.get("/api/collections/buffered_points/items").json()
    assert items["features"][0]["geometry"]["type"] == "Polygon"
    again = client.post(f"{GP}/Buffer/execute", data=body).json()
    assert again["error"]["code"] in (400, 409) and "buffered_points" in again["error"]["message"]
    body["esri_out_feature_service_overwrite"] = "true"
    assert "error" not in client.post(f"{GP}/Buffer/execute", data=body).json()
