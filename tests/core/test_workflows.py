"""JSON workflows over OGC API: validation naming the step, one job per workflow with per-step
messages, parallel steps, a failing step, the partial-result cache, access rules per step."""

from __future__ import annotations

import time

import pytest

from honua.core.recorder import inputs_key
from tests.support.tenants import TWO_TENANTS, tenant_server
from tests.support.toolbox import POINTS, POLYGONS

BUFFER_CLIP_DISSOLVE = {
    "id": "buffer-clip-dissolve",
    "inputs": {"points": {"schema": {"type": "object"}},
               "area": {"schema": {"type": "object"}},
               "distance": {"schema": {"type": "object"}}},
    "steps": {
        "buffer": {"process": "buffer", "inputs": {"features": {"$ref": "#/inputs/points"},
                                                   "distance": {"$ref": "#/inputs/distance"}}},
        "clip": {"process": "clip", "inputs": {
            "features": {"$ref": "#/steps/buffer/outputs/result"},
            "clip_features": {"$ref": "#/inputs/area"}}},
        "dissolve": {"process": "dissolve", "inputs": {
            "features": {"$ref": "#/steps/clip/outputs/result"}}},
    },
    "outputs": {"result": {"$ref": "#/steps/dissolve/outputs/result"}},
}
INPUTS = {"points": POINTS, "area": POLYGONS, "distance": {"value": 300, "unit": "meters"}}


def poll(client, job_id, headers, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        info = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if info.get("status") in ("successful", "failed", "dismissed") \
                or time.monotonic() > deadline:
            return info
        time.sleep(0.05)


def _body(workflow=BUFFER_CLIP_DISSOLVE, inputs=INPUTS, **extra):
    return {"workflow": workflow, "inputs": inputs, **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with tenant_server(tmp_path_factory.mktemp("workflows") / "data",
                       users=(*TWO_TENANTS, ("ops", "t1", ("ops",))), workers=2,
                       cleanup_interval_seconds=3600,
                       process_modules=("tests.plugins.misbehaving",),
                       access=({"process": "echo", "roles": ["ops"]},)) as served:
        yield served


def test_three_step_workflow_runs_sync_as_one_job(server):
    client, keys, services = server
    response = client.post("/api/workflows/execution", json=_body(), headers=keys["a"])
    assert response.status_code == 200, response.text
    collection = response.json()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 1
    job_id = response.headers["link"].split(">")[0].rsplit("/", 1)[1]
    messages = services.manager.messages(job_id)
    texts = [m.text for m in messages]
    for step in ("buffer", "clip", "dissolve"):
        assert any(t.startswith(f"step {step!r}") for t in texts), texts
    steps = services.manager.store.provenance_children(job_id)
    assert [r.process_id for r in steps] == ["buffer", "clip", "dissolve"]
    assert all(r.parent == job_id and r.status == "succeeded" for r in steps)
    prov = client.get(f"/api/jobs/{job_id}/provenance", headers=keys["a"]).json()
    assert len(prov["activity"]) == 4 and len(prov["wasInformedBy"]) == 3


def test_workflow_runs_async_with_per_step_progress(server):
    client, keys, _ = server
    response = client.post("/api/workflows/execution", json=_body(reuse=False),
                           headers={**keys["a"], "Prefer": "respond-async"})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    final = poll(client, job_id, keys["a"])
    assert final["status"] == "successful" and final["progress"] == 100
    results = client.get(f"/api/jobs/{job_id}/results", headers=keys["a"])
    assert results.status_code == 200 and results.json()["type"] == "FeatureCollection"


def test_identical_rerun_reuses_every_step(server):
    client, keys, services = server
    inputs = {**INPUTS, "distance": {"value": 321, "unit": "meters"}}
    first = client.post("/api/workflows/execution", json=_body(inputs=inputs),
                        headers=keys["a"])
    second = client.post("/api/workflows/execution", json=_body(inputs=inputs),
                         headers=keys["a"])
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    ids = [r.headers["link"].split(">")[0].rsplit("/", 1)[1] for r in (first, second)]
    before, after = (services.manager.store.provenance_children(i) for i in ids)
    assert all(not r.reused_from for r in before)
    assert [r.reused_from for r in after] == [r.job_id for r in before]
    assert all(r.tier == "cache" for r in after)
    # another tenant never reuses t1's results
    third = client.post("/api/workflows/execution", json=_body(inputs=inputs),
                        headers=keys["b"])
    third_id = third.headers["link"].split(">")[0].rsplit("/", 1)[1]
    assert all(not r.reused_from for r in services.manager.store.provenance_children(third_id))
    # and a request may refuse the cache
    fourth = client.post("/api/workflows/execution", json=_body(inputs=inputs, reuse=False),
                         headers=keys["a"])
    fourth_id = fourth.headers["link"].split(">")[0].rsplit("/", 1)[1]
    assert all(not r.reused_from for r in services.manager.store.provenance_children(fourth_id))


def test_a_rerun_finds_its_cached_steps_without_binding_their_inputs(server, monkeypatch):
    """The second identical run answers every step from the cache by the key remembered
    for its raw inputs: no step's inputs are parsed and checked again (what makes a hit
    cheap), and the answer is the same."""
    client, keys, services = server
    inputs = {**INPUTS, "distance": {"value": 123, "unit": "meters"}}
    first = client.post("/api/workflows/execution", json=_body(inputs=inputs),
                        headers=keys["a"])
    assert first.status_code == 200, first.text
    manager = services.manager
    bound: list[str] = []
    prepare = manager.prepare

    def counting(process_id, *args, **kwargs):
        bound.append(process_id)
        return prepare(process_id, *args, **kwargs)

    monkeypatch.setattr(manager, "prepare", counting)
    second = client.post("/api/workflows/execution", json=_body(inputs=inputs),
                         headers=keys["a"])
    assert second.status_code == 200 and second.content == first.content
    assert not {"buffer", "clip", "dissolve"} & set(bound), bound
    job_id = second.headers["link"].split(">")[0].rsplit("/", 1)[1]
    steps = manager.store.provenance_children(job_id)
    assert [r.tier for r in steps] == ["cache"] * 3
    # the reused steps keep their inputs on record, as a run that bound them would
    first_id = first.headers["link"].split(">")[0].rsplit("/", 1)[1]
    originals = manager.store.provenance_children(first_id)
    for step, original in zip(steps, originals, strict=True):
        assert manager.artifacts.exists(inputs_key(step.job_id))
        assert ({n: e.get("sha256") for n, e in step.inputs.items()}
                == {n: e.get("sha256") for n, e in original.inputs.items()})


def test_independent_steps_run_in_parallel(server):
    client, keys, services = server
    workflow = {"id": "two-naps", "inputs": {},
                "steps": {"a": {"process": "sleepy", "inputs": {"seconds": 0.6}},
                          "b": {"process": "sleepy", "inputs": {"seconds": 0.61}}},
                "outputs": {"a": {"$ref": "#/steps/a/outputs/result"},
                            "b": {"$ref": "#/steps/b/outputs/result"}}}
    response = client.post("/api/workflows/execution", headers=keys["a"],
                           json={"workflow": workflow, "inputs": {}, "response": "document",
                                 "reuse": False})
    assert response.status_code == 200, response.text
    job_id = response.headers["link"].split(">")[0].rsplit("/", 1)[1]
    a, b = services.manager.store.provenance_children(job_id)
    assert a.started < b.finished and b.started < a.finished  # the two runs overlap


def test_a_workflow_longer_than_a_heartbeat_runs_once(server):
    """The front running a workflow holds it: the other fronts' (and its own) orphan sweep,
    every heartbeat, must not take it for a dead front's job and run it a second time."""
    from honua.core.fronts import HEARTBEAT_SECONDS

    client, keys, services = server
    workflow = {"id": "long-nap", "inputs": {},
                "steps": {"nap": {"process": "sleepy",
                                  "inputs": {"seconds": 3 * HEARTBEAT_SECONDS}}},
                "outputs": {"result": {"$ref": "#/steps/nap/outputs/result"}}}
    response = client.post("/api/workflows/execution", headers=keys["a"],
                           json={"workflow": workflow, "inputs": {}, "response": "document",
                                 "reuse": False})
    assert response.status_code == 200, response.text
    job_id = response.headers["link"].split(">")[0].rsplit("/", 1)[1]
    assert len(services.manager.store.provenance_children(job_id)) == 1
    texts = [m.text for m in services.manager.messages(job_id)]
    assert not any("interrupted" in t for t in texts), texts
    assert services.manager.store.get(job_id).attempts <= 1


def test_failing_middle_step_fails_the_workflow_naming_it(server):
    client, keys, services = server
    workflow = {"id": "breaks", "inputs": {},
                "steps": {"first": {"process": "sleepy", "inputs": {"seconds": 0.01}},
                          "middle": {"process": "fail_clearly", "inputs": {"value": -3}},
                          "slow": {"process": "sleepy", "inputs": {"seconds": 20}},
                          "last": {"process": "sleepy", "inputs": {
                              "seconds": {"$ref": "#/steps/middle/outputs/result"}}}},
                "outputs": {"result": {"$ref": "#/steps/last/outputs/result"}}}
    response = client.post("/api/workflows/execution", headers={**keys["a"],
                           "Prefer": "respond-async"}, json={"workflow": workflow, "inputs": {}})
    job_id = response.json()["jobID"]
    final = poll(client, job_id, keys["a"])
    assert final["status"] == "failed"
    assert "step 'middle' (fail_clearly) failed" in final["message"]
    assert "value -3 is not acceptable" in final["message"]
    children = services.manager.store.provenance_children(job_id)
    assert sorted(r.process_id for r in children) == ["fail_clearly", "sleepy", "sleepy"]
    statuses = {services.manager.get(r.job_id).status.value for r in children}
    assert statuses & {"cancelled", "cancelling"}  # 'slow' was stopped, 'last' never ran


@pytest.mark.parametrize(("change", "named"), [
    (lambda w: w["steps"]["clip"].update(process="no_such_tool"), "step 'clip'"),
    (lambda w: w["steps"]["dissolve"]["inputs"].update(
        features={"$ref": "#/steps/clip/outputs/nothing"}), "step 'dissolve'"),
    (lambda w: w["steps"]["clip"]["inputs"].update(bogus=1), "step 'clip'"),
    (lambda w: w["steps"]["buffer"]["inputs"].update(
        features={"$ref": "#/steps/dissolve/outputs/result"}), "part of a cycle"),
    (lambda w: w["steps"]["buffer"]["inputs"].update(
        features={"$ref": "#/inputs/undeclared"}), "step 'buffer'"),
    (lambda w: w["steps"]["buffer"]["inputs"].update(features={"$ref": "http://x/y"}),
     "step 'buffer'"),
    (lambda w: w["outputs"].update(result={"$ref": "#/steps/ghost/outputs/result"}), "ghost"),
    (lambda w: w.update(steps={}), "no steps"),
    (lambda w: w.update(steps={f"s{i}": {"process": "centroid"} for i in range(101)}),
     "at most 100"),
    (lambda w: w.update(extra=1), "no member 'extra'"),
])
def test_validation_refuses_a_bad_document_naming_the_step(server, change, named):
    client, keys, _ = server
    import copy

    workflow = copy.deepcopy(BUFFER_CLIP_DISSOLVE)
    change(workflow)
    for path in ("/api/workflows/validation", "/api/workflows/execution"):
        response = client.post(path, json=_body(workflow=workflow), headers=keys["a"])
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert named in response.json()["detail"]


def test_validation_accepts_a_good_document_without_running_it(server):
    client, keys, services = server
    before = services.manager.list(limit=1000)[1]
    response = client.post("/api/workflows/validation", json=_body(), headers=keys["a"])
    assert response.status_code == 200, response.text
    assert response.json()["steps"] == ["buffer", "clip", "dissolve"]
    assert services.manager.list(limit=1000)[1] == before


@pytest.mark.parametrize("body", [
    b"[]", b"{}", b'{"workflow": 3}', b"not json", b'{"workflow": {"steps": []}}',
    b'{"workflow": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"workflow": {"steps": {"a": {"process": "buffer", "inputs": {"distance": NaN}}}}}',
])
def test_hostile_bodies_are_a_fast_400(server, body):
    client, keys, _ = server
    response = client.post("/api/workflows/execution", content=body, headers={
        **keys["a"], "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_step_the_caller_may_not_run_is_an_unknown_process(server):
    client, keys, _ = server
    workflow = {"id": "hidden", "steps": {"say": {"process": "echo", "inputs": {"text": "hi"}}},
                "outputs": {"result": {"$ref": "#/steps/say/outputs/result"}}}
    refused = client.post("/api/workflows/execution", json={"workflow": workflow, "inputs": {}},
                          headers=keys["a"])
    assert refused.status_code in (400, 404) and "'echo'" in refused.json()["detail"]
    allowed = client.post("/api/workflows/execution", json={"workflow": workflow, "inputs": {}},
                          headers=keys["ops"])
    assert allowed.status_code == 200, allowed.text


def test_another_tenant_cannot_see_a_workflow_job(server):
    client, keys, _ = server
    response = client.post("/api/workflows/execution", json=_body(),
                           headers={**keys["a"], "Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    poll(client, job_id, keys["a"])
    assert client.get(f"/api/jobs/{job_id}", headers=keys["b"]).status_code == 404
    assert client.get(f"/api/jobs/{job_id}/provenance", headers=keys["b"]).status_code == 404
