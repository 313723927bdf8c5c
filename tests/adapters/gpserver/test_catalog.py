"""Server info, the services catalog, GP services and task descriptions."""

import pytest

from honua.adapters.gpserver import catalog
from honua.core.registry import discover
from tests.adapters.gpserver.conftest import GP, MODULE, PROXIMITY, ROOT, error_of
from tests.adapters.gpserver.schemas import assert_valid


def _json(client, path, name, method="get", **params):
    response = getattr(client, method)(path, params={"f": "json", **params}) if method == "get" \
        else client.post(path, data={"f": "json", **params})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return assert_valid(response.json(), name)


def test_info_says_version_and_open_server(client):
    """ArcGIS clients probe rest/info for the version and whether tokens are needed."""
    info = _json(client, "/arcgis/rest/info", "info")
    assert info["currentVersion"] >= 10.1
    assert info["authInfo"]["isTokenBasedSecurity"] is False


def test_catalog_lists_default_service_and_folders(client):
    root = _json(client, ROOT, "catalog")
    assert root["folders"] == ["Analysis"]
    assert {"name": "Geoprocessing", "type": "GPServer"} in root["services"]
    folder = _json(client, f"{ROOT}/Analysis", "catalog")
    assert folder["services"] == [{"name": "Analysis/Proximity", "type": "GPServer"}]


def test_default_service_holds_every_process_as_pascal_case_tasks(client, services):
    service = _json(client, GP, "service")
    expected = sorted(catalog.task_name(d.id) for d in services.registry)
    assert sorted(service["tasks"]) == expected
    assert {"Buffer", "AllTypes", "PolygonArea", "SyncOnly"} <= set(service["tasks"])
    assert service["executionType"] == "esriExecutionTypeAsynchronous"
    assert service["capabilities"] == "Uploads"


def test_configured_service_groups_processes_with_its_own_settings(client):
    service = _json(client, PROXIMITY, "service")
    assert service["tasks"] == ["Buffer", "PolygonArea"]
    assert service["serviceDescription"] == "Distance tools"
    assert service["executionType"] == "esriExecutionTypeSynchronous"
    assert service["maximumRecords"] == 5


def test_post_answers_like_get(client):
    """ArcGIS REST JS and the Python API POST metadata requests."""
    assert _json(client, f"{GP}/Buffer", "task", "post") == _json(client, f"{GP}/Buffer", "task")


def test_every_process_of_the_toolbox_describes_itself_as_a_task(client, services):
    """The mapping is generic: each registered process renders a valid task resource."""
    for definition in services.registry:
        task = _json(client, f"{GP}/{catalog.task_name(definition.id)}", "task")
        names = [p["name"] for p in task["parameters"]]
        assert names[:len(definition.description.inputs)] == [
            p.name for p in definition.description.inputs]


def test_task_parameters_map_core_types_to_gp_types(client):
    task = _json(client, f"{GP}/AllTypes", "task")
    inputs = {p["name"]: p for p in task["parameters"]
              if p["direction"] == "esriGPParameterDirectionInput"}
    assert {n: p["dataType"] for n, p in inputs.items()} == {
        "text": "GPString", "count": "GPLong", "ratio": "GPDouble", "flag": "GPBoolean",
        "when": "GPDate", "distance": "GPLinearUnit", "area": "GPArealUnit",
        "names": "GPMultiValue:GPString", "sr": "GPSpatialReference", "box": "GPExtent",
        "shape": "GPFeatureRecordSetLayer"}
    assert inputs["text"]["choiceList"] == ["alpha", "beta"]
    assert inputs["count"]["parameterType"] == "esriGPParameterTypeRequired"
    outputs = [p for p in task["parameters"] if p["direction"] == "esriGPParameterDirectionOutput"]
    assert all(p["parameterType"] == "esriGPParameterTypeDerived" for p in outputs)
    assert {p["name"] for p in outputs} == {"out_" + n for n in inputs}


def test_buffer_task_describes_distance_default_and_feature_schema(client):
    task = _json(client, f"{GP}/Buffer", "task")
    params = {p["name"]: p for p in task["parameters"]}
    features = params["features"]["defaultValue"]
    assert features["features"] == [] and features["spatialReference"]["wkid"] == 4326
    assert features["fields"][0]["type"] == "esriFieldTypeOID"
    assert params["result"]["direction"] == "esriGPParameterDirectionOutput"


def test_geometry_filter_and_record_set_from_neutral_declarations(client):
    area = _json(client, f"{GP}/PolygonArea", "task")["parameters"][0]
    assert area["filter"] == {"type": "featureClass", "list": ["esriGeometryPolygon"]}
    assert area["defaultValue"]["geometryType"] == "esriGeometryPolygon"
    rows = _json(client, f"{GP}/RowCount", "task")["parameters"][0]
    assert rows["dataType"] == "GPRecordSet"
    assert "geometryType" not in rows["defaultValue"]


def test_task_execution_type_follows_what_the_process_allows(client):
    assert _json(client, f"{GP}/SyncOnly", "task")["executionType"] == \
        "esriExecutionTypeSynchronous"
    assert _json(client, f"{PROXIMITY}/Buffer", "task")["executionType"] == \
        "esriExecutionTypeSynchronous"
    assert _json(client, f"{GP}/Buffer", "task")["executionType"] == \
        "esriExecutionTypeAsynchronous"


def test_pjson_is_the_same_document_pretty_printed(client):
    pretty = client.get(GP, params={"f": "pjson"})
    assert "\n  " in pretty.text
    assert pretty.json() == client.get(GP, params={"f": "json"}).json()


def test_jsonp_callback_wraps_the_document(client):
    text = client.get("/arcgis/rest/info", params={"f": "json", "callback": "cb"}).text
    assert text.startswith("cb({") and text.endswith("});")


def test_cors_allows_any_origin_without_credentials_and_answers_preflight(client):
    """The default (cors_origins = *): never the caller's Origin echoed (tests/web/test_cors.py)."""
    origin = {"Origin": "https://maps.example.org"}
    answer = client.get(GP, params={"f": "json"}, headers=origin)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    preflight = client.options(f"{GP}/uploads/upload", headers={
        **origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]


@pytest.mark.parametrize(("process_id", "task"), [
    ("buffer", "Buffer"), ("spatial_join", "SpatialJoin"), ("zonal-stats.v2", "ZonalStatsV2"),
    ("feature_vertices_to_points", "FeatureVerticesToPoints")])
def test_task_name_is_pascal_case_of_process_id(process_id, task):
    assert catalog.task_name(process_id) == task


@pytest.mark.parametrize(("configured", "message"), [
    ([{"processes": ["buffer"]}], "name"),
    ([{"name": "a/b"}], "letters"),
    ([{"name": "X", "colour": "red"}], "unknown key"),
    ([{"name": "X", "execution_type": "later"}], "sync or async"),
    ([{"name": "X"}, {"name": "X"}], "twice"),
])
def test_bad_service_configuration_is_refused_at_start(configured, message):
    with pytest.raises(ValueError, match=message):
        catalog.build(configured, discover((MODULE,)))


def test_service_configuration_from_environment_json():
    built = catalog.build('[{"name": "T", "folder": "F", "processes": ["slow"]}]',
                          discover((MODULE,)))
    assert built.folders == ["F"]
    assert list(built.service("F", "T").tasks) == ["Slow"]


def test_unknown_folder_and_service_name_what_exists(client):
    assert "Analysis" in error_of(client.get(f"{ROOT}/Nowhere", params={"f": "json"}))["message"]
    error = error_of(client.get(f"{ROOT}/Geoprocessing", params={"f": "json"}))
    assert "GPServer" in error["message"]
    error = error_of(client.get(f"{ROOT}/Nope/GPServer", params={"f": "json"}))
    assert error["code"] == 404 and "Geoprocessing" in error["message"]
