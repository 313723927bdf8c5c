"""Output precision through the protocols: results and items come with 7 decimals in
degrees unless the request asks otherwise; stored inputs keep every digit given."""

from __future__ import annotations

import json
import re

import pytest

from tests.adapters.gpserver.conftest import GP, METERS, point_set
from tests.support.jobs import buffer_body, wait_for

DIGITS = re.compile(r"\d+\.(\d+)")


def _most_decimals(text: str) -> int:
    return max(len(match) for match in DIGITS.findall(text))


def test_synchronous_results_have_seven_decimals(client):
    answer = client.post("/api/processes/buffer/execution", json=buffer_body(3))
    assert answer.status_code == 200
    assert _most_decimals(answer.text) == 7


def test_a_request_asks_for_fewer_or_all(client):
    fewer = client.post("/api/processes/buffer/execution?precision=3", json=buffer_body(3))
    assert _most_decimals(fewer.text) <= 3
    every = client.post("/api/processes/buffer/execution?precision=15", json=buffer_body(3))
    assert _most_decimals(every.text) > 10


@pytest.mark.parametrize("bad", ["-1", "99", "seven", "1;DROP TABLE jobs"])
def test_bad_precision_is_a_400_before_any_work(client, bad):
    answer = client.post(f"/api/processes/buffer/execution?precision={bad}",
                         json=buffer_body(1))
    assert answer.status_code == 400
    assert "precision" in answer.json()["detail"]


def test_job_results_are_stored_rounded_and_inputs_are_not(client, services):
    body = buffer_body(1)
    body["inputs"]["features"]["features"][0]["geometry"]["coordinates"] = [
        1.123456789123, 2.987654321987]
    answer = client.post("/api/processes/buffer/execution", json=body,
                         headers={"Prefer": "respond-async"})
    job_id = answer.json()["jobID"]
    assert wait_for(client, job_id)["status"] == "successful"
    results = client.get(f"/api/jobs/{job_id}/results")
    assert _most_decimals(results.text) == 7
    inputs = services.manager.inputs(job_id)
    point = inputs["features"].geometry[0]
    assert (point.x, point.y) == (1.123456789123, 2.987654321987)


def test_gpserver_results_rounded_and_geometry_precision(client):
    features = point_set((13.123456789123, 52.98765432198))
    params = {"f": "json", "features": json.dumps(features), "distance": METERS}
    url = f"{GP}/Buffer/execute"
    default = client.get(url, params=params)
    assert default.status_code == 200, default.text
    assert _most_decimals(json.dumps(default.json()["results"])) == 7
    metres = client.get(url, params={**params, "env:outSR": "102100"})
    assert _most_decimals(json.dumps(metres.json()["results"])) == 3
    asked = client.get(url, params={**params, "geometryPrecision": "2"})
    assert _most_decimals(json.dumps(asked.json()["results"])) <= 2
    bad = client.get(url, params={**params, "geometryPrecision": "-4"}).json()
    assert bad["error"]["code"] == 400 and "geometryPrecision" in json.dumps(bad)
