"""Hostile workflow documents and ``?precision=`` values: each is a fast 400 problem
document naming what is wrong, and the server answers the next request as before."""

import time

import pytest

from tests.support.tenants import tenant_server

POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                    "geometry": {"type": "Point",
                                                                 "coordinates": [10, 50]}}]}
WORKFLOWS = "/api/workflows/execution"


def _step(ref):
    return {"process": "buffer", "inputs": {"features": ref,
                                            "distance": {"value": 1, "unit": "meters"}}}


def _chain(steps):
    chained = {"s0": _step({"$ref": "#/inputs/f"})}
    for i in range(1, steps):
        chained[f"s{i}"] = _step({"$ref": f"#/steps/s{i - 1}/outputs/result"})
    return {"id": "w", "inputs": {"f": {"schema": {"type": "object"}}}, "steps": chained,
            "outputs": {"result": {"$ref": f"#/steps/s{steps - 1}/outputs/result"}}}


def _one(ref, output_ref="#/steps/a/outputs/result"):
    return {"id": "w", "inputs": {"f": {}}, "steps": {"a": _step(ref)},
            "outputs": {"result": {"$ref": output_ref}}}


HOSTILE = {
    "10000 steps": (_chain(10_000), "at most 100"),
    "a cycle": ({"id": "w", "steps": {"a": _step({"$ref": "#/steps/b/outputs/result"}),
                                      "b": _step({"$ref": "#/steps/a/outputs/result"})},
                 "outputs": {"result": {"$ref": "#/steps/a/outputs/result"}}}, "cycle"),
    "a step taking its own output": (_one({"$ref": "#/steps/a/outputs/result"}), "cycle"),
    "a missing step": (_one({"$ref": "#/steps/zz/outputs/result"}), "no step 'zz'"),
    "a missing output": (_one({"$ref": "#/inputs/f"}, "#/steps/a/outputs/nope"), "'nope'"),
    "a number as id": ({**_chain(1), "id": 5}, "workflow id"),
    "HTML as id": ({**_chain(1), "id": "<script>alert(1)</script>"}, "workflow id"),
    "a path as id": ({**_chain(1), "id": "../../etc/passwd"}, "workflow id"),
    "steps as a list": ({"id": "w", "steps": [1, 2], "outputs": {}}, "JSON ob"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with tenant_server(tmp_path_factory.mktemp("hostile") / "data", workers=1,
                       cleanup_interval_seconds=3600) as served:
        yield served


def _healthy(client, keys):
    response = client.post("/api/processes/buffer/execution", headers=keys["a"],
                           json={"inputs": {"features": POINT, "distance": 1}})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_workflow_is_a_fast_clear_400(server, name):
    client, keys, _ = server
    document, says = HOSTILE[name]
    started = time.monotonic()
    response = client.post(WORKFLOWS, headers=keys["a"],
                           json={"workflow": document, "inputs": {"f": POINT}})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert says in response.json()["detail"]
    assert "<script>" not in response.text
    assert time.monotonic() - started < 10  # refused before any step runs
    _healthy(client, keys)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_refs_are_refused_before_parsing_them(server, depth):
    client, keys, _ = server
    nested = '{"a":' * depth + '{"$ref": "#/inputs/f"}' + "}" * depth
    raw = ('{"workflow": {"id": "w", "inputs": {"f": {}}, "steps": {"a": {"process": "buffer", '
           '"inputs": {"features": ' + nested + ', "distance": 1}}}, "outputs": {"result": '
           '{"$ref": "#/steps/a/outputs/result"}}}, "inputs": {"f": 1}}')
    response = client.post(WORKFLOWS, content=raw, headers={
        **keys["a"], "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert "deeper than" in response.json()["detail"]
    _healthy(client, keys)


@pytest.mark.parametrize("precision", ["-1", "16", "99999", "NaN", "1.5", "9" * 5000, "inf"])
def test_a_hostile_precision_is_a_clear_400(server, precision):
    client, keys, _ = server
    response = client.post(f"/api/processes/buffer/execution?precision={precision}",
                           headers=keys["a"], json={"inputs": {"features": POINT, "distance": 1}})
    assert response.status_code == 400, response.text
    assert response.json()["type"].endswith("invalid-parameter")
    assert "precision" in response.json()["detail"]


@pytest.fixture(scope="module")
def finished_job(server):
    client, keys, _ = server
    response = client.post("/api/processes/buffer/execution", headers={
        **keys["a"], "Prefer": "respond-async"}, json={"inputs": {"features": POINT,
                                                                  "distance": 1}})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    for _ in range(600):
        if client.get(f"/api/jobs/{job_id}", headers=keys["a"]).json()["status"] == "successful":
            return job_id
        time.sleep(0.05)
    raise AssertionError("the buffer job did not succeed")


@pytest.mark.parametrize("params", [
    {"bbox": "nan,0,1,1"}, {"bbox": "0,0,inf,1"}, {"bbox": "-inf,-inf,inf,inf"},
    {"bbox": "10,0,0,1"}, {"bbox": "0,10,1,0"}, {"bbox": "1e309,0,1e309,1"},
    {"bbox": "0,0,1"}, {"bbox": "a,b,c,d"}, {"bbox": ",".join(["1"] * 10_000)},
    {"tolerance": "-1"}, {"tolerance": "1e308"}, {"tolerance": "nan"}, {"tolerance": "x"},
    {"limit": "0"}, {"limit": "1e12"}, {"limit": "nan"},
])
def test_a_hostile_map_view_is_a_clear_400(server, finished_job, params):
    client, keys, _ = server
    response = client.get(f"/api/jobs/{finished_job}/results/result/map", params=params,
                          headers=keys["a"])
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    name = next(iter(params))
    assert name in response.json()["detail"]


def test_a_huge_but_finite_map_view_is_drawn(server, finished_job):
    client, keys, _ = server
    response = client.get(f"/api/jobs/{finished_job}/results/result/map", headers=keys["a"],
                          params={"bbox": "-1e300,-1e300,1e300,1e300", "tolerance": "10"})
    assert response.status_code == 200, response.text
    assert response.json()["numberReturned"] == 1
