"""A workflow deployed through one front is a process on every front of the server within
moments, without a restart, and gone from all of them when undeployed: two fronts on one
SQLite data folder (``honua serve --processes N``: Unix datagrams between them) and two
"machines" sharing PostgreSQL and the artifact store (``NOTIFY``). The periodic re-read
is set to an hour, so what the tests see is the notification, not the safety net."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.changes import LocalChanges
from honua.core.deployed import DeployedWorkflows
from honua.core.identity import ApiKey, hash_key, new_key
from honua.core.registry import discover
from honua.settings import Settings
from honua.store.artifacts_fs import FilesystemArtifactStore
from tests.adapters.test_deploy import CENTROIDS
from tests.support import postgres

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
POINT = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [10, 50]}}]}
WORKFLOW = {**CENTROIDS, "id": "shared_centroids"}


def _until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


@contextlib.contextmanager
def _fronts(first: Settings, second: Settings) -> Iterator[tuple[TestClient, TestClient, dict]]:
    """Two started fronts and an admin key both accept (the identity store is shared)."""
    services = [build_services(first), build_services(second)]
    key = new_key()
    services[0].authenticator.store.add_key(ApiKey("admin", hash_key(key), "t1",
                                                   frozenset({"admin", "user"}),
                                                   dt.datetime.now(dt.UTC)))
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(TestClient(create_app(s.settings, services=s),
                                                  raise_server_exceptions=False))
                   for s in services]
        yield clients[0], clients[1], {"X-API-Key": key}


def _deploy_on_one_use_on_the_other(one: TestClient, other: TestClient, admin: dict) -> None:
    assert other.get("/api/processes/shared_centroids", headers=admin).status_code == 404
    made = one.post("/api/processes", json=WORKFLOW, headers=admin)
    assert made.status_code == 201, made.text
    _until(lambda: other.get("/api/processes/shared_centroids", headers=admin).status_code
           == 200, "the other front did not offer the deployed workflow")
    ran = other.post("/api/processes/shared_centroids/execution",
                     json={"inputs": {"features": POINT}}, headers=admin)
    assert ran.status_code == 200, ran.text
    assert ran.json()["features"][0]["geometry"]["type"] == "Point"
    described = other.get("/wps", params={"service": "WPS", "version": "1.0.0",
                                          "request": "DescribeProcess",
                                          "identifier": "shared_centroids"}, headers=admin)
    assert described.status_code == 200 and "shared_centroids" in described.text
    tasks = other.get(GP, params={"f": "json"}, headers=admin).json()["tasks"]
    assert "SharedCentroids" in tasks
    # deployed elsewhere is taken here too: a second deploy of the id conflicts at once
    assert other.post("/api/processes", json=WORKFLOW, headers=admin).status_code == 409

    assert other.delete("/api/processes/shared_centroids", headers=admin).status_code == 204
    _until(lambda: one.get("/api/processes/shared_centroids", headers=admin).status_code
           == 404, "the first front kept the undeployed workflow")
    for client in (one, other):
        assert client.post("/api/processes/shared_centroids/execution",
                           json={"inputs": {"features": POINT}},
                           headers=admin).status_code == 404
        listed = client.get("/api/processes", headers=admin).json()["processes"]
        assert "shared_centroids" not in [p["id"] for p in listed]


def _settings(data_dir: Path, **extra) -> Settings:
    return Settings(data_dir=data_dir, workers=1, cleanup_interval_seconds=3600,
                    deployed_resync_seconds=3600, **extra)


def test_fronts_of_one_data_folder_see_each_others_deploys(tmp_path):
    data = tmp_path / "data"
    with _fronts(_settings(data), _settings(data)) as (one, other, admin):
        _deploy_on_one_use_on_the_other(one, other, admin)


def test_machines_sharing_postgresql_see_each_others_deploys(tmp_path):
    with postgres.fresh_database("honua_deploy_fronts") as name:
        url = postgres.url(name)
        shared = tmp_path / "artifacts"  # an S3 bucket or a shared volume in production
        first = _settings(tmp_path / "a", database_url=url, artifacts_dir=shared)
        second = _settings(tmp_path / "b", database_url=url, artifacts_dir=shared)
        with _fronts(first, second) as (one, other, admin):
            _deploy_on_one_use_on_the_other(one, other, admin)


def test_a_lost_notification_is_made_up_by_the_periodic_reread(tmp_path):
    """Two fronts whose notifiers do not reach each other (each its own LocalChanges):
    only the periodic re-read can carry the deploy and the undeploy across."""
    artifacts = FilesystemArtifactStore(tmp_path / "artifacts")
    fronts = [DeployedWorkflows(discover(), artifacts, LocalChanges(), max_steps=10,
                                resync_seconds=0.0) for _ in range(2)]
    for front in fronts:
        front.load(())
        front.start()
    try:
        fronts[0].deploy(WORKFLOW)
        _until(lambda: "shared_centroids" in fronts[1].registry, "not re-read")
        fronts[1].undeploy("shared_centroids")
        _until(lambda: "shared_centroids" not in fronts[0].registry, "not re-read")
    finally:
        for front in fronts:
            front.stop()


def test_a_replaced_workflow_is_rebuilt_and_a_broken_index_changes_nothing(tmp_path):
    artifacts = FilesystemArtifactStore(tmp_path / "artifacts")
    one, other = (DeployedWorkflows(discover(), artifacts, LocalChanges(), max_steps=10,
                                    resync_seconds=3600) for _ in range(2))
    one.deploy(WORKFLOW)
    other.sync()
    assert other.registry.get("shared_centroids").description.title == "Buffered centroids"
    one.undeploy("shared_centroids")
    one.deploy({**WORKFLOW, "title": "Replaced"})
    other.sync()
    assert other.registry.get("shared_centroids").description.title == "Replaced"
    artifacts.put("deployed/index.json", b"{not json")
    other.sync()  # an unreadable index must not undeploy everything
    assert "shared_centroids" in other.registry


def test_config_file_workflows_cannot_be_undeployed(tmp_path):
    front = DeployedWorkflows(discover(), FilesystemArtifactStore(tmp_path / "a"), LocalChanges(),
                              max_steps=10, resync_seconds=3600)
    front.load((WORKFLOW,))
    with pytest.raises(Exception, match="not a deployed workflow"):
        front.undeploy("shared_centroids")
    front.sync()
    assert "shared_centroids" in front.registry
