"""Bad requests get a clear 4xx problem+json and store nothing."""

import pytest

from tests.support.schemas import assert_ogc_valid

POINT = {"type": "Point", "coordinates": [0, 0]}


@pytest.mark.parametrize(("body", "status", "fragment"), [
    (b"{not json", 400, "not valid JSON"),
    (b"", 400, "body is empty"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b'{"inputs": {"distance": 5}}', 400, "needs input 'features'"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": 5, '
     b'"colour": "red"}}', 400, "has no input 'colour'"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": "far"}}',
     400, "expected e.g. '100 meters'"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, '
     b'"distance": {"value": 5, "unit": "furlongs"}}}', 400, "unknown linear unit 'furlongs'"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, '
     b'"distance": {"value": "NaN", "unit": "meters"}}}', 400, "finite"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": 5}, '
     b'"outputs": {"result": {"registerAs": {"collectionId": "x", "ttl": "99999999999d"}}}}',
     400, "longer than 100 years"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": ["a"]}, "distance": 5}}', 400,
     "invalid GeoJSON geometry"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": 5, '
     b'"dissolve": "perhaps"}}', 400, "expected true or false"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": 5}, '
     b'"response": "poem"}', 400, "'raw' or 'document'"),
    (b'{"inputs": {"features": {"type": "Point", "coordinates": [0, 0]}, "distance": 5}, '
     b'"outputs": {"result": {"format": {"mediaType": "image/png"}}}}', 400,
     "cannot be returned as 'image/png'; it is available as application/geo+json"),
])
def test_execute_bad_input_is_clear_problem(client, body, status, fragment):
    response = client.post("/api/processes/buffer/execution", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert_ogc_valid(problem, "exception.yaml")
    assert fragment in problem["detail"]
    assert "Traceback" not in response.text
    assert client.get("/api/jobs").json()["jobs"] == []  # nothing stored


def test_execute_body_over_limit_is_413(client, services):
    limit = services.settings.max_body_bytes
    response = client.post("/api/processes/buffer/execution", content=b" " * (limit + 1),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_unknown_process_execution_is_404(client):
    response = client.post("/api/processes/nope/execution", json={"inputs": {}})
    assert response.status_code == 404 and response.json()["type"].endswith("no-such-process")


def test_unknown_job_is_404(client):
    for path in ("/api/jobs/abc", "/api/jobs/abc/results"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["type"].endswith("no-such-job")
    assert client.delete("/api/jobs/abc").status_code == 404


def test_bad_request_does_not_harm_existing_jobs(client):
    good = {"inputs": {"features": POINT, "distance": 10}}
    job_id = client.post("/api/processes/buffer/execution", json=good,
                         headers={"Prefer": "respond-async"}).json()["jobID"]
    client.post("/api/processes/buffer/execution", content=b"{broken")
    client.delete("/api/jobs/not-a-job")
    assert client.get(f"/api/jobs/{job_id}").status_code == 200
