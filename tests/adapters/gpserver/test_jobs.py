"""submitJob and the job resources, polled the way ArcGIS clients poll them."""

import json
import time

import pytest

from tests.adapters.gpserver.conftest import GP, METERS, error_of, point_set, poll
from tests.adapters.gpserver.schemas import assert_valid


def _submit(client, task, params, method="post"):
    if method == "post":
        response = client.post(f"{GP}/{task}/submitJob", data={**params, "f": "json"})
    else:
        response = client.get(f"{GP}/{task}/submitJob", params={**params, "f": "json"})
    job = assert_valid(response.json(), "job")
    return job, f"{GP}/{task}/jobs/{job['jobId']}"


def _wait_for(client, job_url, statuses, timeout=10.0):
    return poll(client, job_url, timeout, until=statuses)


def test_submit_poll_and_fetch_each_result_param_url(client):
    job, job_url = _submit(client, "Buffer", {"features": json.dumps(point_set((10, 50))),
                                              "distance": METERS, "env:outSR": "3857"})
    assert job["jobStatus"] in ("esriJobSubmitted", "esriJobWaiting", "esriJobExecuting")
    done = poll(client, job_url)
    assert done["jobStatus"] == "esriJobSucceeded"
    assert done["results"] == {"result": {"paramUrl": "results/result"}}
    for name, link in done["results"].items():
        result = assert_valid(client.get(f"{job_url}/{link['paramUrl']}",
                                         params={"returnType": "data", "f": "json"}).json(),
                              "result")
        assert result["paramName"] == name
        assert result["value"]["spatialReference"]["latestWkid"] == 3857  # remembered outSR


def test_result_request_out_sr_overrides_the_submitted_one(client):
    _, job_url = _submit(client, "Buffer", {"features": json.dumps(point_set((10, 50))),
                                            "distance": METERS})
    poll(client, job_url)
    result = client.get(f"{job_url}/results/result", params={"outSR": "32632", "f": "json"}).json()
    assert result["value"]["spatialReference"]["wkid"] == 32632


def test_inputs_answer_what_was_submitted(client):
    _, job_url = _submit(client, "Buffer", {
        "features": json.dumps(point_set((10, 50))),
        "distance": json.dumps({"distance": 2, "units": "esriMiles"})})
    done = poll(client, job_url)
    assert done["inputs"]["distance"] == {"paramUrl": "inputs/distance"}
    distance = assert_valid(client.get(f"{job_url}/inputs/distance", params={"f": "json"}).json(),
                            "result")
    assert distance == {"paramName": "distance", "dataType": "GPLinearUnit",
                        "value": {"distance": 2.0, "units": "esriMiles"}}
    features = client.get(f"{job_url}/inputs/features", params={"f": "json"}).json()
    assert features["value"]["features"][0]["geometry"] == {"x": 10.0, "y": 50.0}


def test_job_polling_by_post_like_arcgis_rest_js(client):
    _, job_url = _submit(client, "AsyncOnly", {})
    deadline = time.monotonic() + 10
    while True:
        job = assert_valid(client.post(job_url, data={"f": "json"}).json(), "job")
        if job["jobStatus"] == "esriJobSucceeded" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert job["jobStatus"] == "esriJobSucceeded"
    value = client.post(f"{job_url}/results/result", data={"f": "json"}).json()["value"]
    assert value == "hello"


def test_running_job_reports_progress(client):
    _, job_url = _submit(client, "Slow", {"seconds": "3"})
    job = _wait_for(client, job_url, ("esriJobExecuting",))
    deadline = time.monotonic() + 5
    while "percent" not in job.get("progress", {}) and time.monotonic() < deadline:
        job = assert_valid(client.get(job_url, params={"f": "json"}).json(), "job")
        time.sleep(0.05)
    assert job["progress"]["type"] == "step" and 0 <= job["progress"]["percent"] <= 100
    assert "results" not in job
    client.get(f"{job_url}/cancel", params={"f": "json"})
    _wait_for(client, job_url, ("esriJobCancelled",))


@pytest.mark.parametrize("method", ["get", "post"])
def test_cancel_goes_cancelling_then_cancelled_with_no_results(client, method):
    _, job_url = _submit(client, "Slow", {"seconds": "20"})
    _wait_for(client, job_url, ("esriJobExecuting",))
    if method == "get":
        answer = client.get(f"{job_url}/cancel", params={"f": "json"}).json()
    else:  # ArcGIS REST JS
        job_id = job_url.rsplit("/", 1)[1]
        answer = client.post(f"{job_url}/cancel", data={"id": job_id, "returnMessages": "false",
                                                        "f": "json"}).json()
    assert assert_valid(answer, "job")["jobStatus"] in ("esriJobCancelling", "esriJobCancelled")
    seen = {answer["jobStatus"]}
    deadline = time.monotonic() + 10
    while "esriJobCancelled" not in seen and time.monotonic() < deadline:
        job = assert_valid(client.get(job_url, params={"f": "json"}).json(), "job")
        seen.add(job["jobStatus"])
        time.sleep(0.02)
    assert seen <= {"esriJobCancelling", "esriJobCancelled"}, "never the old running status"
    final = client.get(job_url, params={"f": "json"}).json()
    assert final["jobStatus"] == "esriJobCancelled" and "results" not in final
    error = error_of(client.get(f"{job_url}/results/result", params={"f": "json"}))
    assert "esriJobCancelled" in error["message"]


def test_cancel_of_a_queued_job_ends_it_cancelled(client):
    blockers = [_submit(client, "Slow", {"seconds": "20"})[1] for _ in range(2)]
    _, queued = _submit(client, "Slow", {"seconds": "20"})
    answer = client.get(f"{queued}/cancel", params={"f": "json"}).json()
    assert answer["jobStatus"] in ("esriJobCancelling", "esriJobCancelled")
    assert _wait_for(client, queued, ("esriJobCancelled",))["jobStatus"] == "esriJobCancelled"
    for url in blockers:
        client.get(f"{url}/cancel", params={"f": "json"})
        _wait_for(client, url, ("esriJobCancelled",))


def test_cancel_of_a_finished_job_is_refused(client):
    _, job_url = _submit(client, "AsyncOnly", {})
    poll(client, job_url)
    error = error_of(client.get(f"{job_url}/cancel", params={"f": "json"}))
    assert error["code"] == 400 and "esriJobSucceeded" in error["message"]


def test_failed_job_reports_error_messages_and_no_results(client):
    _, job_url = _submit(client, "Fail", {"text": "no luck"})
    job = poll(client, job_url)
    assert job["jobStatus"] == "esriJobFailed" and "results" not in job
    types = {m["type"] for m in job["messages"]}
    assert {"esriJobMessageTypeWarning", "esriJobMessageTypeError"} <= types
    assert any("no luck" in m["description"] for m in job["messages"])


def test_return_messages_false_leaves_messages_empty(client):
    _, job_url = _submit(client, "AsyncOnly", {})
    poll(client, job_url)
    job = assert_valid(client.get(job_url, params={"f": "json", "returnMessages": "false"}).json(),
                       "job")
    assert job["messages"] == []


def test_delete_removes_the_job(client):
    _, job_url = _submit(client, "AsyncOnly", {})
    poll(client, job_url)
    assert error_of(client.get(f"{job_url}/delete", params={"f": "json"}))["code"] == 400
    answer = client.post(f"{job_url}/delete", data={"f": "json"}).json()
    assert answer["success"] is True and answer["jobStatus"] == "esriJobDeleted"
    assert error_of(client.get(job_url, params={"f": "json"}))["code"] == 404


def test_submit_by_get_works_too(client):
    _, job_url = _submit(client, "AsyncOnly", {"text": "via get"}, method="get")
    poll(client, job_url)
    assert client.get(f"{job_url}/results/result", params={"f": "json"}).json()["value"] == "via get"


def test_job_is_found_only_under_its_own_task(client):
    job, job_url = _submit(client, "AsyncOnly", {})
    poll(client, job_url)
    error = error_of(client.get(f"{GP}/Buffer/jobs/{job['jobId']}", params={"f": "json"}))
    assert error["code"] == 404 and "Buffer" in error["message"]


def test_sync_only_task_refuses_submit_job_and_async_only_refuses_execute(client):
    error = error_of(client.post(f"{GP}/SyncOnly/submitJob", data={"f": "json"}))
    assert "execute" in error["message"]
    error = error_of(client.post(f"{GP}/AsyncOnly/execute", data={"f": "json"}))
    assert "submitJob" in error["message"]
