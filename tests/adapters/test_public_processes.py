"""``public = true`` rules on a server that refuses anonymous callers (``anonymous = false``):
anonymous callers use the public processes, and the jobs they made with them, on all three
surfaces; every other process, uploads, collections and layer references answer 401 (GPServer
499) in the protocol's own format."""

import datetime as dt
import json
import time

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.settings import Settings
from tests.support.layers import write_layer

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
RULES = ({"process": "buffer", "public": True}, {"process": "dissolve", "roles": ["analyst"]})
POINTS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [10, 50]}}]}
DISTANCE = {"value": 100, "unit": "meter"}
GP_POINTS = json.dumps({"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
                        "features": [{"geometry": {"x": 10, "y": 50}, "attributes": {}}]})
GP_DISTANCE = json.dumps({"distance": 100, "units": "esriMeters"})
WPS_NS = ('xmlns:wps="http://www.opengis.net/wps/1.0.0" xmlns:ows="http://www.opengis.net/ows/1.1" '
          'xmlns:xlink="http://www.w3.org/1999/xlink"')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("public") / "data"
    write_layer(data / "layers" / "cities.gpkg", 5)
    settings = Settings(data_dir=data, workers=1, cleanup_interval_seconds=3600, access=RULES,
                        anonymous=False)
    services = build_services(settings)
    key = new_key()
    services.authenticator.store.add_key(ApiKey("member", hash_key(key), "t1",
                                                frozenset({"user"}), dt.datetime.now(dt.UTC)))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, {"X-API-Key": key}


def _unauthenticated_ogc(response):
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")


def _unauthenticated_wps(response):
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert b"ExceptionReport" in response.content


def _token_required(response):
    assert response.json()["error"]["code"] == 499, response.text


def _wait(client, url, done, headers=None):
    for _ in range(400):
        answer = client.get(url, headers=headers or {})
        if done(answer):
            return answer
        time.sleep(0.05)
    raise AssertionError(f"{url} never finished: {answer.text}")


# -- OGC API - Processes ----------------------------------------------------------------------
def test_ogc_api_lists_describes_and_runs_only_the_public_process(server):
    client, _ = server
    listed = client.get("/api/processes")
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["processes"]] == ["buffer"]
    assert client.get("/api/processes/buffer").status_code == 200
    run = client.post("/api/processes/buffer/execution",
                      json={"inputs": {"features": POINTS, "distance": DISTANCE}})
    assert run.status_code == 200, run.text
    assert run.json()["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("process", ["dissolve", "clip", "no_such_process"])
def test_ogc_api_other_processes_need_credentials_whether_they_exist_or_not(server, process):
    client, _ = server
    described = client.get(f"/api/processes/{process}")
    _unauthenticated_ogc(described)
    run = client.post(f"/api/processes/{process}/execution", json={"inputs": {}})
    _unauthenticated_ogc(run)
    assert described.json()["detail"].replace(process, "X") == client.get(
        "/api/processes/no_such_process").json()["detail"].replace("no_such_process", "X")


def test_ogc_api_anonymous_job_is_followed_without_credentials(server):
    client, key = server
    submitted = client.post("/api/processes/buffer/execution", headers={
        "Prefer": "respond-async"}, json={"inputs": {"features": POINTS, "distance": DISTANCE}})
    assert submitted.status_code == 201, submitted.text
    url = f"/api/jobs/{submitted.json()['jobID']}"
    status = _wait(client, url, lambda r: r.json().get("status") in ("successful", "failed"))
    assert status.json()["status"] == "successful"
    assert client.get(f"{url}/results").status_code == 200


def test_ogc_api_jobs_of_members_stay_hidden_from_anonymous_callers(server):
    client, key = server
    submitted = client.post("/api/processes/buffer/execution", headers={
        **key, "Prefer": "respond-async"}, json={"inputs": {"features": POINTS,
                                                           "distance": DISTANCE}})
    assert submitted.status_code == 201, submitted.text
    job_id = submitted.json()["jobID"]
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/jobs/{job_id}", headers=key).status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/jobs"), ("GET", "/api/collections"), ("GET", "/api/collections/cities/items"),
    ("POST", "/api/uploads"), ("GET", "/api/uploads/abc")])
def test_ogc_api_everything_else_stays_refused(server, method, path):
    client, _ = server
    _unauthenticated_ogc(client.request(method, path))


@pytest.mark.parametrize("features", [{"layerReference": {"collectionId": "cities"}},
                                      {"uploadId": "0123456789abcdef"}])
def test_ogc_api_references_from_a_public_process_need_credentials(server, features):
    client, key = server
    body = {"inputs": {"features": features, "distance": DISTANCE}}
    _unauthenticated_ogc(client.post("/api/processes/buffer/execution", json=body))
    if "layerReference" in features:  # the same request with credentials runs
        assert client.post("/api/processes/buffer/execution", json=body,
                           headers=key).status_code == 200


def test_ogc_api_registering_a_layer_needs_credentials(server):
    client, _ = server
    body = {"inputs": {"features": POINTS, "distance": DISTANCE},
            "outputs": {"result": {"registerAs": {"collectionId": "mine"}}}}
    _unauthenticated_ogc(client.post("/api/processes/buffer/execution", json=body))


# -- GPServer ---------------------------------------------------------------------------------
def test_gpserver_lists_and_runs_only_the_public_task(server):
    client, _ = server
    assert list(client.get(GP, params={"f": "json"}).json()["tasks"]) == ["Buffer"]
    assert client.get(f"{GP}/Buffer", params={"f": "json"}).json()["name"] == "Buffer"
    run = client.post(f"{GP}/Buffer/execute", data={
        "features": GP_POINTS, "distance": GP_DISTANCE, "f": "json"}).json()
    assert run["results"][0]["value"]["features"], run


def test_gpserver_anonymous_job_is_followed_without_credentials(server):
    client, _ = server
    job = client.post(f"{GP}/Buffer/submitJob", data={
        "features": GP_POINTS, "distance": GP_DISTANCE, "f": "json"}).json()
    url = f"{GP}/Buffer/jobs/{job['jobId']}"
    status = _wait(client, f"{url}?f=json", lambda r: r.json().get("jobStatus") in (
        "esriJobSucceeded", "esriJobFailed"))
    assert status.json()["jobStatus"] == "esriJobSucceeded"
    result = client.get(f"{url}/results/result", params={"f": "json"}).json()
    assert result["value"]["features"], result


@pytest.mark.parametrize("task", ["Dissolve", "Clip", "NoSuchTask"])
def test_gpserver_other_tasks_answer_token_required(server, task):
    client, _ = server
    _token_required(client.get(f"{GP}/{task}", params={"f": "json"}))
    _token_required(client.post(f"{GP}/{task}/execute", data={"f": "json"}))
    _token_required(client.post(f"{GP}/{task}/submitJob", data={"f": "json"}))


@pytest.mark.parametrize("path", ["/arcgis/rest/services", f"{GP}/uploads",
                                  f"{GP}/uploads/upload"])
def test_gpserver_catalog_and_uploads_stay_refused(server, path):
    client, _ = server
    _token_required(client.post(path, data={"f": "json"}))


def test_gpserver_layer_reference_needs_a_token(server):
    client, key = server
    data = {"features": json.dumps({"url": "http://testserver/api/collections/cities/items"}),
            "distance": GP_DISTANCE, "f": "json"}
    _token_required(client.post(f"{GP}/Buffer/execute", data=data))
    _token_required(client.post(f"{GP}/Buffer/execute", data={
        **data, "features": json.dumps({"itemID": "0123456789abcdef"})}))
    assert "results" in client.post(f"{GP}/Buffer/execute", data=data, headers=key).json()


# -- WPS --------------------------------------------------------------------------------------
def _execute(process, *inputs):
    return (f'<wps:Execute service="WPS" version="1.0.0" {WPS_NS}>'
            f"<ows:Identifier>{process}</ows:Identifier><wps:DataInputs>{''.join(inputs)}"
            "</wps:DataInputs></wps:Execute>")


def _features(content):
    return ("<wps:Input><ows:Identifier>features</ows:Identifier><wps:Data>"
            f'<wps:ComplexData mimeType="application/geo+json"><![CDATA[{content}]]>'
            "</wps:ComplexData></wps:Data></wps:Input>")


DISTANCE_XML = ("<wps:Input><ows:Identifier>distance</ows:Identifier><wps:Data>"
                '<wps:LiteralData uom="metre">100</wps:LiteralData></wps:Data></wps:Input>')


def _wps(client, body, headers=None):
    return client.post("/wps", content=body, headers={"Content-Type": "text/xml",
                                                      **(headers or {})})


def test_wps_capabilities_describe_and_execute_the_public_process(server):
    client, _ = server
    caps = client.get("/wps", params={"service": "WPS", "request": "GetCapabilities"})
    assert caps.status_code == 200 and ">buffer<" in caps.text and ">dissolve<" not in caps.text
    described = client.get("/wps", params={"service": "WPS", "version": "1.0.0",
                                            "request": "DescribeProcess", "identifier": "buffer"})
    assert described.status_code == 200 and "ProcessDescriptions" in described.text
    run = _wps(client, _execute("buffer", _features(json.dumps(POINTS)), DISTANCE_XML))
    assert run.status_code == 200 and "ProcessSucceeded" in run.text, run.text


@pytest.mark.parametrize("process", ["dissolve", "clip", "no_such_process"])
def test_wps_other_processes_need_credentials(server, process):
    client, _ = server
    _unauthenticated_wps(client.get("/wps", params={
        "service": "WPS", "version": "1.0.0", "request": "DescribeProcess",
        "identifier": f"buffer,{process}"}))
    _unauthenticated_wps(_wps(client, _execute(process, DISTANCE_XML)))


def test_wps_chained_execute_cannot_reach_a_process_that_is_not_public(server):
    client, _ = server
    nested = ('<wps:Execute service="WPS" version="1.0.0"><ows:Identifier>clip</ows:Identifier>'
              "</wps:Execute>")
    chained = ("<wps:Input><ows:Identifier>features</ows:Identifier>"
               '<wps:Reference xlink:href="http://testserver/wps" method="POST" '
               f'mimeType="application/geo+json"><wps:Body>{nested}</wps:Body></wps:Reference>'
               "</wps:Input>")
    response = _wps(client, _execute("buffer", chained, DISTANCE_XML))
    _unauthenticated_wps(response)  # the core checks every run, chained ones too
    assert "'clip'" in response.text


def test_wps_layer_reference_needs_credentials(server):
    client, key = server
    href = "http://testserver/api/collections/cities/items"
    reference = ("<wps:Input><ows:Identifier>features</ows:Identifier>"
                 f'<wps:Reference xlink:href="{href}" mimeType="application/geo+json"/>'
                 "</wps:Input>")
    _unauthenticated_wps(_wps(client, _execute("buffer", reference, DISTANCE_XML)))
    allowed = _wps(client, _execute("buffer", reference, DISTANCE_XML), key)
    assert "ProcessSucceeded" in allowed.text, allowed.text


def test_a_server_without_public_rules_still_refuses_every_process_route(tmp_path):
    settings = Settings(data_dir=tmp_path, workers=1, anonymous=False)
    with TestClient(create_app(settings, start_services=False),
                    raise_server_exceptions=False) as client:
        _unauthenticated_ogc(client.get("/api/processes/buffer"))
        _unauthenticated_wps(client.get("/wps", params={"service": "WPS",
                                                        "request": "GetCapabilities"}))
        _token_required(client.get(f"{GP}/Buffer", params={"f": "json"}))


def test_ogc_api_definition_shows_anonymous_callers_only_the_public_processes(server):
    client, key = server
    anonymous = client.get("/api/openapi").json()["paths"]
    assert "/processes/buffer/execution" in anonymous
    assert "/processes/clip/execution" not in anonymous
    member = client.get("/api/openapi", headers=key).json()["paths"]
    assert "/processes/clip/execution" in member
