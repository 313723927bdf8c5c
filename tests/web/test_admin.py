"""``/admin``: the operator's dashboard is for admins only; it shows every tenant's jobs with
filters, counts per state and resource class, the workers, the failures, and cancels."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.settings import Settings

BROWSER = {"Accept": "text/html,*/*;q=0.8"}
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("admin") / "data", workers=1,
                        cleanup_interval_seconds=3600, process_modules=("tests.plugins.misbehaving",))
    services = build_services(settings)
    keys = {}
    for name, tenant, roles in (("a", "t1", {"user"}), ("root", "ops", {"admin"})):
        keys[name] = {"X-API-Key": new_key()}
        services.authenticator.store.add_key(ApiKey(
            name, hash_key(keys[name]["X-API-Key"]), tenant, frozenset(roles),
            dt.datetime.now(dt.UTC)))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys


def submit(client, key, process, inputs):
    response = client.post(f"/api/processes/{process}/execution", headers={
        **key, "Prefer": "respond-async"}, json={"inputs": inputs})
    assert response.status_code == 201, response.text
    return response.json()["jobID"]


def wait(client, key, job_id, states):
    for _ in range(400):
        status = client.get(f"/api/jobs/{job_id}", headers=key).json()["status"]
        if status in states:
            return status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stayed {status}")


@pytest.mark.parametrize("path", ["/admin", "/admin/summary"])
def test_anonymous_is_401_and_a_user_403(server, path):
    client, keys = server
    assert client.get(path).status_code == 401
    assert client.get(path, headers=keys["a"]).status_code == 403
    page = client.get(path, headers={**keys["a"], **BROWSER})
    assert page.status_code == 403
    assert client.get(path, headers=keys["root"]).status_code == 200


def test_actions_need_the_admin_role_too(server):
    client, keys = server
    job_id = submit(client, keys["a"], "sleepy", {"seconds": 0.1})
    assert client.post(f"/admin/jobs/{job_id}/cancel").status_code == 401
    assert client.post(f"/admin/jobs/{job_id}/dismiss", headers=keys["a"]).status_code == 403
    assert client.post("/admin/jobs/nope/cancel", headers=keys["root"]).status_code == 404


def test_the_dashboard_shows_every_tenants_jobs_counts_failures_and_workers(server):
    client, keys = server
    ok = submit(client, keys["a"], "sleepy", {"seconds": 0.0})
    bad = submit(client, keys["a"], "fail_clearly", {"value": 1})
    wait(client, keys["a"], ok, ("successful",))
    wait(client, keys["a"], bad, ("failed",))
    summary = client.get("/admin/summary", headers=keys["root"]).json()
    assert summary["counts"]["succeeded"] >= 1 and summary["counts"]["failed"] >= 1
    assert any(f["id"] == bad and f["message"] for f in summary["failures"])
    assert summary["workers"] and all(w["rssMB"] > 0 for w in summary["workers"])
    page = client.get("/admin", headers={**keys["root"], **BROWSER})
    assert page.status_code == 200 and ok in page.text and bad in page.text
    assert "queue depth" in page.text


def test_filters_by_process_state_and_owner(server):
    client, keys = server
    done = submit(client, keys["a"], "sleepy", {"seconds": 0.0})
    wait(client, keys["a"], done, ("successful",))
    listed = client.get("/admin", params={"process": "fail_clearly"}, headers=keys["root"]).json()
    assert listed["jobs"] and {j["process"] for j in listed["jobs"]} == {"fail_clearly"}
    owner = next(j["owner"] for j in client.get("/admin", headers=keys["root"]).json()["jobs"]
                 if j["id"] == done)
    assert owner
    listed = client.get("/admin", params={"state": "succeeded", "owner": owner},
                        headers=keys["root"]).json()
    assert listed["jobs"] and {(j["status"], j["owner"]) for j in listed["jobs"]} == {
        ("succeeded", owner)}
    assert client.get("/admin", params={"state": SCRIPT}, headers=keys["root"]).json()["jobs"] == []
    page = client.get("/admin", params={"owner": SCRIPT, "process": SCRIPT},
                      headers={**keys["root"], **BROWSER})
    assert page.status_code == 200 and "<script>alert" not in page.text


def test_an_admin_cancels_a_running_job_of_another_tenant(server):
    client, keys = server
    job_id = submit(client, keys["a"], "sleepy", {"seconds": 30})
    wait(client, keys["a"], job_id, ("running",))
    counts = client.get("/admin/summary", headers=keys["root"]).json()
    assert counts["counts"]["running"] >= 1
    assert counts["resourceClasses"]["cpu-burst"]["running"] >= 1
    response = client.post(f"/admin/jobs/{job_id}/cancel", headers=keys["root"])
    assert response.status_code == 200
    assert wait(client, keys["a"], job_id, ("dismissed",)) == "dismissed"  # OGC's cancelled
    assert client.post(f"/admin/jobs/{job_id}/dismiss", headers=keys["root"]).status_code == 200
    assert client.get(f"/api/jobs/{job_id}", headers=keys["a"]).status_code == 404
