"""Execution: sync raw and document, async jobs, job list, results, dismiss."""

import shapely

from tests.adapters.ogcapi.conftest import poll
from tests.support.schemas import assert_ogc_valid


def test_execute_sync_raw_returns_geojson(client, buffer_request):
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert 'rel="monitor"' in response.headers["link"]
    collection = response.json()
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["properties"] == {"name": "origin"} and feature["id"] == 1


def test_execute_sync_document_validates(client, buffer_request):
    buffer_request["response"] = "document"
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 200
    document = response.json()
    assert_ogc_valid(document, "results.yaml")
    assert document["result"]["mediaType"] == "application/geo+json"
    assert document["result"]["value"]["type"] == "FeatureCollection"


def test_execute_sync_records_a_job(client, buffer_request):
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    job_url = response.headers["link"].split(">")[0].lstrip("<")
    info = client.get(job_url).json()
    assert info["status"] == "successful" and info["processID"] == "buffer"


def test_execute_async_creates_job_and_results(client, buffer_request):
    buffer_request["response"] = "document"
    response = client.post("/api/processes/buffer/execution", json=buffer_request,
                           headers={"Prefer": "respond-async"})
    assert response.status_code == 201
    assert response.headers["preference-applied"] == "respond-async"
    info = response.json()
    assert_ogc_valid(info, "statusInfo.yaml")
    assert response.headers["location"].endswith(f"/api/jobs/{info['jobID']}")
    final = poll(client, info["jobID"])
    assert_ogc_valid(final, "statusInfo.yaml")
    assert final["status"] == "successful" and final["progress"] == 100
    assert any(link["rel"].endswith("/results") for link in final["links"])
    results = client.get(f"/api/jobs/{info['jobID']}/results").json()
    assert_ogc_valid(results, "results.yaml")
    polygon = shapely.geometry.shape(results["result"]["value"]["features"][0]["geometry"])
    assert polygon.geom_type == "Polygon" and polygon.contains(shapely.Point(0, 0))


def test_execute_async_raw_results_follow_the_request(client, buffer_request):
    response = client.post("/api/processes/buffer/execution", json=buffer_request,
                           headers={"Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    assert poll(client, job_id)["status"] == "successful"
    raw = client.get(f"/api/jobs/{job_id}/results")
    assert raw.headers["content-type"] == "application/geo+json"
    assert raw.json()["type"] == "FeatureCollection"


def test_execute_reference_transmission_links_to_stored_output(client, buffer_request):
    buffer_request["outputs"] = {"result": {"transmissionMode": "reference"}}
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 204
    href = response.headers["link"].split(">")[0].lstrip("<")
    output = client.get(href)
    assert output.status_code == 200 and output.json()["type"] == "FeatureCollection"


def test_job_list_filters_and_validates(client, buffer_request):
    for _ in range(3):
        client.post("/api/processes/buffer/execution", json=buffer_request)
    document = client.get("/api/jobs", params={"limit": 2, "processID": "buffer",
                                                "status": "successful"}).json()
    assert_ogc_valid(document, "jobList.yaml")
    assert len(document["jobs"]) == 2 and document["numberMatched"] == 3
    assert any(link["rel"] == "next" for link in document["links"])
    assert client.get("/api/jobs", params={"status": "failed"}).json()["jobs"] == []
    assert client.get("/api/jobs", params={"status": "weird"}).status_code == 400


def test_dismiss_removes_the_job(client, buffer_request):
    job_id = client.post("/api/processes/buffer/execution", json=buffer_request,
                         headers={"Prefer": "respond-async"}).json()["jobID"]
    poll(client, job_id)
    response = client.delete(f"/api/jobs/{job_id}")
    assert response.status_code == 200
    assert_ogc_valid(response.json(), "statusInfo.yaml")
    assert response.json()["status"] == "dismissed"
    gone = client.get(f"/api/jobs/{job_id}")
    assert gone.status_code == 404 and gone.json()["type"].endswith("/no-such-job")
    assert client.get(f"/api/jobs/{job_id}/results").status_code == 404


def test_execute_sync_large_input_runs_on_the_worker_pool(client, services):
    """Over the fast-path limit a synchronous run goes to an isolated worker, same answer."""
    n = services.settings.fast_path_max_features + 1
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [i / n, 0]},
                 "properties": {"i": i}} for i in range(n)]
    request = {"inputs": {"features": {"type": "FeatureCollection", "features": features},
                          "distance": 10}}
    response = client.post("/api/processes/buffer/execution", json=request)
    assert response.status_code == 200
    result = response.json()["features"]
    assert len(result) == n and result[-1]["properties"] == {"i": n - 1}


def test_job_list_datetime_duration_and_type_filters(client, buffer_request):
    """The job-list class's filters: creation interval, durations, type."""
    for _ in range(2):
        client.post("/api/processes/buffer/execution", json=buffer_request)
    every = client.get("/api/jobs").json()["jobs"]
    created = sorted(job["created"] for job in every)
    in_range = client.get("/api/jobs", params={"datetime": f"{created[-1]}/.."}).json()
    assert [job["created"] for job in in_range["jobs"]] == [created[-1]]
    assert len(client.get("/api/jobs", params={"datetime": f"../{created[0]}"}).json()[
        "jobs"]) == 1
    assert client.get("/api/jobs", params={"datetime": "2000-01-01T00:00:00Z"}).json()[
        "jobs"] == []
    assert len(client.get("/api/jobs", params={"minDuration": 0}).json()["jobs"]) == 2
    assert client.get("/api/jobs", params={"minDuration": 3600}).json()["jobs"] == []
    assert len(client.get("/api/jobs", params={"maxDuration": 3600}).json()["jobs"]) == 2
    assert len(client.get("/api/jobs", params={"type": "process"}).json()["jobs"]) == 2
    assert client.get("/api/jobs", params={"type": "wps"}).json()["jobs"] == []
    for bad in ({"maxDuration": "abc"}, {"minDuration": -1}, {"datetime": "yesterday"}):
        response = client.get("/api/jobs", params=bad)
        assert response.status_code == 400 and next(iter(bad)) in response.json()["detail"]


def test_execute_accepts_the_formats_it_serves(client, buffer_request):
    """Asking for the output as GeoJSON (with parameters) is honoured, not refused."""
    buffer_request["outputs"] = {"result": {"format": {
        "mediaType": "application/geo+json; charset=utf-8"}}}
    response = client.post("/api/processes/buffer/execution", json=buffer_request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
