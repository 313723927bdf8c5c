"""Results over ``maximumRecords``: the feature set is empty as in ArcGIS, but the answer
says so in a warning naming the limit and links to the whole result, for execute and for
job results alike; by default the limit is high enough for 1,000+ features."""

import json

import pytest

from honua.settings import Settings
from tests.adapters.gpserver.conftest import GP, METERS, MODULE, point_set, poll
from tests.adapters.gpserver.schemas import assert_valid

ROOT = "/arcgis/rest/services"
SYNC = f"{ROOT}/Limited/Sync/GPServer"
ASYNC = f"{ROOT}/Limited/Async/GPServer"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    services = ({"name": "Sync", "folder": "Limited", "processes": ["buffer"],
                 "execution_type": "sync", "maximum_records": 5},
                {"name": "Async", "folder": "Limited", "processes": ["buffer"],
                 "execution_type": "async", "maximum_records": 5})
    return Settings(data_dir=tmp_path_factory.mktemp("limit") / "data", workers=1,
                    worker_max_jobs=50, job_timeout_seconds=60, cleanup_interval_seconds=3600,
                    process_modules=(MODULE,), gp_services=services)


def _points(count: int) -> dict[str, str]:
    return {"features": json.dumps(point_set(*[(i * 0.01, 0.0) for i in range(count)])),
            "distance": METERS, "f": "json"}


def _warnings(messages) -> list[str]:
    return [m["description"] for m in messages if m["type"] == "esriJobMessageTypeWarning"]


def _download(client, url: str) -> dict:
    response = client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.json()


def test_execute_over_the_limit_warns_and_links_to_the_whole_result(client):
    document = assert_valid(client.get(f"{SYNC}/Buffer/execute", params=_points(6)).json(),
                            "execute")
    (result,) = document["results"]
    assert result["value"]["features"] == [] and result["value"]["exceededTransferLimit"]
    (warning,) = _warnings(document["messages"])
    assert "maximumRecords (5)" in warning and "6 features" in warning
    url = warning.rsplit(" ", 1)[-1]
    whole = _download(client, url)
    assert whole["paramName"] == "result"
    assert len(whole["value"]["features"]) == 6
    assert whole["value"]["features"][0]["geometry"]["rings"]


def test_execute_within_the_limit_has_no_warning_and_keeps_nothing(client):
    document = client.get(f"{SYNC}/Buffer/execute", params=_points(5)).json()
    assert len(document["results"][0]["value"]["features"]) == 5
    assert _warnings(document["messages"]) == []


def test_job_result_over_the_limit_warns_and_links_to_the_whole_result(client):
    job = client.get(f"{ASYNC}/Buffer/submitJob", params=_points(7)).json()
    job_url = f"{ASYNC}/Buffer/jobs/{job['jobId']}"
    assert poll(client, job_url)["jobStatus"] == "esriJobSucceeded"
    result = client.get(f"{job_url}/results/result", params={"f": "json"}).json()
    assert result["value"]["features"] == [] and result["value"]["exceededTransferLimit"]
    (warning,) = _warnings(result["messages"])
    assert "maximumRecords (5)" in warning
    url = warning.rsplit(" ", 1)[-1]
    assert url.endswith(f"/jobs/{job['jobId']}/results/result/data")
    assert len(_download(client, url)["value"]["features"]) == 7


def test_the_download_is_only_for_the_jobs_own_task(client):
    document = client.get(f"{SYNC}/Buffer/execute", params=_points(6)).json()
    url = _warnings(document["messages"])[0].rsplit(" ", 1)[-1].replace("http://testserver", "")
    other = url.replace("/Limited/Sync/GPServer/Buffer/", "/Geoprocessing/GPServer/PolygonArea/")
    error = client.get(other, params={"f": "json"}).json()["error"]
    assert error["code"] == 404
    missing = url.replace("/jobs/", "/jobs/j0000000000000000000000").rsplit("/jobs/", 1)
    assert client.get("/jobs/".join(missing), params={"f": "json"}).json()["error"]["code"] == 404


def test_the_default_limit_carries_thousands_of_features(client):
    service = client.get(GP, params={"f": "json"}).json()
    assert service["maximumRecords"] >= 100_000
    document = client.post(f"{GP}/Buffer/execute", data=_points(1_001)).json()
    value = document["results"][0]["value"]
    assert len(value["features"]) == 1_001 and value["exceededTransferLimit"] is False
