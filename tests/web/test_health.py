"""``/health`` and ``/ready`` as a load balancer sees them: open to anonymous, and
``/ready`` answering 503 naming the check that fails while the job store takes no writes."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

from honua.core.identity import ApiKey, hash_key, new_key
from honua.core.jobs import utcnow
from honua.store.sql_engine import SQLITE_BUSY_TIMEOUT_MS
from honua.web import health


def test_health_is_open_and_cheap(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "pass"}
    assert response.headers["cache-control"] == "no-store"


def test_ready_passes_with_every_check_named(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pass"
    assert set(body["checks"]) == {"job_store", "workers", "catalog", "artifacts"}
    assert all(check["status"] == "pass" for check in body["checks"].values())


def test_probe_writes_leave_no_job_behind(client, services):
    for _ in range(3):
        assert client.get("/ready").status_code == 200
    jobs, total = services.manager.store.list()
    assert total == 0 and jobs == []


@contextmanager
def _locked(database: str):
    """Another process's writer holding SQLite's exclusive lock: nobody else may write."""
    holder = sqlite3.connect(database, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_ready_fails_while_the_job_store_is_unwritable(client, settings, monkeypatch):
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 1.0)
    assert SQLITE_BUSY_TIMEOUT_MS / 1000 > 1.0  # the probe gives up before SQLite would
    database = str(settings.data_dir / "honua.db")
    with _locked(database):
        began = time.monotonic()
        response = client.get("/ready")
        took = time.monotonic() - began
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["job_store"]
    assert body["checks"]["job_store"]["status"] == "fail"
    assert body["checks"]["catalog"]["status"] == "pass"
    assert took < 10  # answered, not hung on the lock
    # once the writer lets go, the server is ready again
    deadline = time.monotonic() + 30
    while client.get("/ready").status_code != 200:
        assert time.monotonic() < deadline, "never ready again"
        time.sleep(0.2)


def test_ready_fails_when_no_worker_runs(app, services):
    from starlette.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        services.manager.executor.stop()
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["workers"]


def _some_key() -> ApiKey:
    return ApiKey("ops", hash_key(new_key()), "acme", frozenset({"admin"}), utcnow())


def test_probes_answer_anonymous_callers_on_a_closed_server(client, services):
    services.authenticator.store.add_key(_some_key())
    assert client.get("/api/processes").status_code == 401
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 200


def test_ready_rejects_other_methods(client):
    assert client.post("/ready").status_code == 405


def test_ready_fails_naming_a_missing_artifact_bucket(settings, s3_server, caplog):
    """Artifacts on S3 in a bucket nobody created: the server starts, says so in its log,
    and ``/ready`` fails on ``artifacts`` with the bucket's name until it exists."""
    import dataclasses

    from starlette.testclient import TestClient

    from honua.app import build_services, create_app

    bucket = "not-created-yet"
    s3 = dataclasses.replace(settings, artifacts_url=f"s3://{bucket}/jobs", **s3_server.settings())
    with caplog.at_level("ERROR", logger="honua.app"):
        services = build_services(s3)
    assert f"bucket {bucket!r} does not exist" in caplog.text
    with TestClient(create_app(s3, services=services), raise_server_exceptions=False) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["failing"] == ["artifacts"]
        assert bucket in response.json()["checks"]["artifacts"]["detail"]
        s3_server.create_bucket(bucket)
        assert client.get("/ready").status_code == 200
