"""Callbacks: signed deliveries to a receiver on loopback (explicitly allowed for the test),
a retry after a 500, failures and configured webhooks, the SSRF guard, delivery on the job."""

from __future__ import annotations

import http.server
import threading
import time

import orjson
import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.settings import Settings
from honua.web.callbacks import SECRET_HEADER, sign
from tests.adapters.ogcapi.conftest import point_collection, poll

SECRET = b"test-secret"


@pytest.fixture
def receiver():
    """An HTTP receiver on 127.0.0.1 that answers 500 to the first POST of each path."""
    got: list[tuple[str, dict, bytes]] = []
    seen: set[str] = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            first = self.path not in seen
            seen.add(self.path)
            got.append((self.path, dict(self.headers), body))
            self.send_response(500 if first and "flaky" in self.path else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", got
    server.shutdown()


def _client(tmp_path, **settings):
    values = {"data_dir": tmp_path / "data", "workers": 1, "cleanup_interval_seconds": 3600,
              "webhook_secret": SECRET.decode(), "webhook_backoff_seconds": 0.05,
              "webhook_attempts": 3, "process_modules": ("tests.plugins.misbehaving",)}
    values.update(settings)
    config = Settings(**values)
    return TestClient(create_app(config, services=build_services(config)),
                      raise_server_exceptions=False)


def _wait(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def _messages(client, job_id):
    return [m.text for m in client.app.state.services.manager.messages(job_id)]


def test_signed_delivery_retried_after_a_500(tmp_path, receiver):
    base, got = receiver
    with _client(tmp_path, webhook_allow_hosts=("127.0.0.1",)) as client:
        response = client.post("/api/processes/buffer/execution", headers={
            "Prefer": "respond-async"}, json={
                "inputs": {"features": point_collection(1, 1), "distance": 10},
                "subscriber": {"successUri": f"{base}/flaky/done",
                               "inProgressUri": f"{base}/running"}})
        assert response.status_code == 201, response.text
        job_id = response.json()["jobID"]
        own = response.headers[SECRET_HEADER].encode()  # this subscription's, given once
        assert SECRET_HEADER not in client.get(f"/api/jobs/{job_id}").headers
        assert poll(client, job_id)["status"] == "successful"
        assert _wait(lambda: any("delivered" in t and "flaky" in t
                                 for t in _messages(client, job_id)))
        done = [g for g in got if g[0] == "/flaky/done"]
        assert len(done) == 2  # a 500, then the retry
        for _, headers, body in done:
            assert headers["X-Honua-Signature"] == sign(own, headers["X-Honua-Timestamp"], body)
            assert headers["X-Honua-Signature"] != sign(SECRET, headers["X-Honua-Timestamp"],
                                                        body)
            assert abs(int(headers["X-Honua-Timestamp"]) - time.time()) < 60
        payload = orjson.loads(done[-1][2])
        assert payload["jobID"] == job_id and payload["status"] == "succeeded"
        assert any(t.endswith("(HTTP 204, attempt 2 of 3)") for t in _messages(client, job_id))
        assert _wait(lambda: any(g[0] == "/running" for g in got))


def test_failed_job_and_configured_webhook(tmp_path, receiver):
    base, got = receiver
    with _client(tmp_path, webhook_allow_hosts=("127.0.0.1",),
                 webhooks=(f"{base}/hook",)) as client:
        response = client.post("/api/processes/fail_clearly/execution", headers={
            "Prefer": "respond-async"}, json={"inputs": {"value": -1},
                                              "subscriber": {"failedUri": f"{base}/failed"}})
        job_id = response.json()["jobID"]
        assert poll(client, job_id)["status"] == "failed"
        assert _wait(lambda: {"/failed", "/hook"} <= {g[0] for g in got})
        assert orjson.loads(next(g for g in got if g[0] == "/failed")[2])["status"] == "failed"
        own = response.headers[SECRET_HEADER].encode()
        for path, headers, body in got:  # the subscriber's key, and the operator's for hooks
            key = own if path == "/failed" else SECRET
            assert headers["X-Honua-Signature"] == sign(key, headers["X-Honua-Timestamp"], body)


def test_each_subscription_has_its_own_secret(tmp_path, receiver):
    """Two subscribers: each verifies its own deliveries, and neither's secret signs the
    other's (a subscriber cannot forge callbacks to another)."""
    base, got = receiver
    with _client(tmp_path, webhook_allow_hosts=("127.0.0.1",)) as client:
        secrets = {}
        for name in ("alice", "bob"):
            response = client.post("/api/processes/buffer/execution", headers={
                "Prefer": "respond-async"}, json={
                    "inputs": {"features": point_collection(1, 1), "distance": 10},
                    "subscriber": {"successUri": f"{base}/{name}"}})
            assert response.status_code == 201, response.text
            assert poll(client, response.json()["jobID"])["status"] == "successful"
            secrets[f"/{name}"] = response.headers[SECRET_HEADER].encode()
        assert secrets["/alice"] != secrets["/bob"]
        assert _wait(lambda: {"/alice", "/bob"} <= {g[0] for g in got})
        for path, headers, body in got:
            stamp = headers["X-Honua-Timestamp"]
            assert headers["X-Honua-Signature"] == sign(secrets[path], stamp, body)
            other = secrets["/bob" if path == "/alice" else "/alice"]
            assert headers["X-Honua-Signature"] != sign(other, stamp, body)
        plain = client.post("/api/processes/buffer/execution", json={
            "inputs": {"features": point_collection(1, 1), "distance": 10}})
        assert SECRET_HEADER not in plain.headers  # no subscription, no secret


@pytest.mark.parametrize("target", ["{base}/x", "http://169.254.169.254/latest",
                                    "http://[::1]:9/x", "http://user:pw@{host}/x"])
def test_guard_refuses_private_targets_without_an_allowance(tmp_path, receiver, target):
    base, got = receiver
    url = target.format(base=base, host=base.split("//")[1])
    with _client(tmp_path) as client:
        response = client.post("/api/processes/buffer/execution", headers={
            "Prefer": "respond-async"}, json={
                "inputs": {"features": point_collection(1, 1), "distance": 10},
                "subscriber": {"successUri": url}})
        job_id = response.json()["jobID"]
        poll(client, job_id)
        assert _wait(lambda: any("refused" in t for t in _messages(client, job_id)))
    assert got == []


@pytest.mark.parametrize("subscriber", [
    "http://x", {"successUri": "file:///etc/passwd"}, {"successUri": 3},
    {"other": "http://x"}, {"successUri": "http://x/" + "a" * 5000},
])
def test_bad_subscriber_is_a_400(tmp_path, subscriber):
    with _client(tmp_path) as client:
        response = client.post("/api/processes/buffer/execution", json={
            "inputs": {"features": point_collection(1, 1), "distance": 10},
            "subscriber": subscriber})
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
