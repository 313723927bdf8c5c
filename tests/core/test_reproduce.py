"""Reproduce on every built-in process: a re-run with the recorded inputs makes outputs whose
SHA-256 is the recorded one (the toolbox's outputs are deterministic)."""

from __future__ import annotations

import pytest

from honua.core.registry import discover
from honua.settings import Settings
from tests.adapters.ogcapi.conftest import poll
from tests.support.toolbox import REQUESTS, missing

BUILTINS = sorted(d.id for d in discover(Settings().process_modules)
                  if d.module.startswith("honua.processes."))


def test_every_builtin_has_a_sample_request():
    assert missing(BUILTINS) == []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from starlette.testclient import TestClient

    from honua.app import build_services, create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("reproduce") / "data", workers=2,
                        cleanup_interval_seconds=3600)
    with TestClient(create_app(settings, services=build_services(settings)),
                    raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("process_id", BUILTINS)
def test_reproduce_matches_the_recorded_hashes(server, process_id):
    response = server.post(f"/api/processes/{process_id}/execution",
                           json={"inputs": REQUESTS[process_id]},
                           headers={"Prefer": "respond-async"})
    assert response.status_code == 201, response.text
    job_id = response.json()["jobID"]
    assert poll(server, job_id)["status"] == "successful", server.get(f"/api/jobs/{job_id}").text
    answer = server.post(f"/api/jobs/{job_id}/reproduce")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["outputs"] and body["match"] is True, body
    assert all(len(o["recorded"]) == 64 for o in body["outputs"].values())


@pytest.mark.parametrize("process_id", BUILTINS)
def test_sync_and_async_runs_hash_alike(server, process_id):
    """The in-process fast path and the worker pool write the same bytes."""
    sync = server.post(f"/api/processes/{process_id}/execution",
                       json={"inputs": REQUESTS[process_id]})
    assert sync.status_code == 200, sync.text
    job_id = sync.headers["link"].split(">")[0].rsplit("/", 1)[1]
    answer = server.post(f"/api/jobs/{job_id}/reproduce").json()
    assert answer["match"] is True, answer
