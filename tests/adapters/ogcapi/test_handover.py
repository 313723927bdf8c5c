"""A synchronous request that outlives the synchronous limit is handed over as a job."""

import time

import pytest

from tests.adapters.ogcapi.conftest import poll


@pytest.fixture
def settings(settings):
    return settings.replace(process_modules=("tests.plugins.misbehaving",),
                            sync_timeout_seconds=1.0)


def test_sync_run_outliving_the_sync_limit_is_handed_over_as_a_job(client):
    """Results kept by reference come from a stored job; when it is still running at the
    limit the client gets that job to follow (201 and its Location), not a timeout."""
    body = {"inputs": {"seconds": 3}, "outputs": {"result": {"transmissionMode": "reference"}}}
    started = time.monotonic()
    response = client.post("/api/processes/sleepy/execution", json=body)
    assert response.status_code == 201, response.text
    assert time.monotonic() - started < 2.5
    job_id = response.json()["jobID"]
    assert response.headers["Location"].endswith(f"/api/jobs/{job_id}")
    assert "Preference-Applied" not in response.headers
    assert poll(client, job_id, timeout=30)["status"] == "successful"


def test_sync_run_within_the_limit_answers_with_the_results(client):
    body = {"inputs": {"seconds": 0.1}, "outputs": {"result": {"transmissionMode": "reference"}}}
    response = client.post("/api/processes/sleepy/execution", json=body)
    assert response.status_code == 204, response.text
    assert "/results/result" in response.headers["Link"]
