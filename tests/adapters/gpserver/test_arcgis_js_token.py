"""The ArcGIS Maps SDK for JavaScript under Node against a secured server: a token from
generateToken added to its requests, then submitJob, owned by the token's user.

IdentityManager.registerToken itself cannot load under Node (its sign-in dialog needs a DOM)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import httpx
import pytest

from honua.app import build_services, create_app
from honua.core.identity import User, hash_password
from tests.adapters.gpserver.conftest import point_set
from tests.adapters.gpserver.test_arcgis_js import CLIENT, INSTALL
from tests.support.servers import serve


@pytest.fixture
def secured_server(settings):
    services = build_services(settings)
    services.authenticator.store.add_user(User("alice", "acme", frozenset({"analyst"}),
                                               hash_password("s3cret-pw"), dt.datetime.now(dt.UTC)))
    with serve(create_app(settings, services=services)) as base:
        yield base, services


def _sdk(scenario: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        raise AssertionError("Node.js is needed for the ArcGIS JS SDK tests (node not on PATH)")
    if not (CLIENT / "node_modules" / "@arcgis" / "core").is_dir():
        raise AssertionError(f"the ArcGIS Maps SDK for JavaScript is not installed: run {INSTALL}")
    done = subprocess.run([node, "gp.mjs", json.dumps(scenario)], cwd=CLIENT, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip(), done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_js_identity_manager_token_then_submit_job(secured_server):
    base, services = secured_server
    token = httpx.post(f"{base}/arcgis/tokens/generateToken",
                       data={"username": "alice", "password": "s3cret-pw", "f": "json"}).json()
    scenario = {"mode": "submitJob", "outputs": ["result"], "options": {},
                "url": f"{base}/arcgis/rest/services/Geoprocessing/GPServer/Buffer",
                "params": {"features": {"featureSet": point_set((0.0, 0.0), per_geometry=True,
                                                                Name="pt")},
                           "distance": {"linearUnit": {"distance": 100, "units": "meters"}}}}
    answer = _sdk(scenario | {"token": {"server": f"{base}/arcgis",
                                        "token": token["token"]}})
    assert answer["ok"], answer
    assert answer["jobStatus"] == "job-succeeded"
    assert answer["results"]["result"]["value"]["features"]
    job = services.manager.get(answer["jobId"])
    assert (job.owner, job.tenant) == ("user:alice", "acme")
