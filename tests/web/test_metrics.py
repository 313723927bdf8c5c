"""``/metrics`` as Prometheus scrapes it: the text parses with prometheus-client's own
parser, counters move after a request and a job, and only loopback callers and admins
may read it unless ``metrics_public`` is set."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.core.jobs import utcnow
from tests.support.jobs import run_async_buffer
from tests.support.servers import serve


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample, by name and sorted labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def public(settings):
    settings = settings.replace(metrics_public=True)
    app = create_app(settings, services=build_services(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_scrape_parses_and_counts_requests_and_jobs(public):
    before = scrape(public.get("/metrics").text)
    assert value(before, "honua_queue_depth") == 0
    assert public.get("/api/processes").status_code == 200
    assert public.get("/api/no-such-thing").status_code == 404
    final = run_async_buffer(public)
    assert final["status"] == "successful"
    response = public.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    after = scrape(response.text)
    requests = "honua_http_requests_total"
    assert value(after, requests, surface="ogcapi", method="GET", status="200") >= (
        value(before, requests, surface="ogcapi", method="GET", status="200") + 1)
    assert value(after, requests, surface="ogcapi", method="GET", status="404") == 1
    assert value(after, requests, surface="ogcapi", method="POST", status="201") == 1
    for status in ("submitted", "running", "succeeded"):
        assert value(after, "honua_jobs_total", process="buffer", status=status,
                     tier="shapely") == 1, status
    assert value(after, "honua_job_duration_seconds_count", process="buffer",
                 outcome="succeeded", tier="shapely") == 1
    assert value(after, "honua_job_duration_seconds_sum", process="buffer",
                 outcome="succeeded", tier="shapely") > 0
    assert ("honua_worker_restarts_total", ()) in after
    assert value(after, "honua_queue_depth") == 0


def test_synchronous_runs_count_under_their_end_state(public):
    from tests.support.jobs import buffer_body

    assert public.post("/api/processes/buffer/execution", json=buffer_body()).status_code == 200
    after = scrape(public.get("/metrics").text)
    assert value(after, "honua_jobs_total", process="buffer", status="succeeded",
                 tier="shapely") == 1
    assert not [k for k in after if k[0] == "honua_jobs_total"
                and ("status", "submitted") in k[1]]


def test_worker_restarts_are_counted(settings):
    settings = settings.replace(metrics_public=True, worker_max_jobs=1, workers=1)
    app = create_app(settings, services=build_services(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        run_async_buffer(client)
        services = app.state.services
        assert services.manager.executor.wait_ready(30)
        after = scrape(client.get("/metrics").text)
    assert value(after, "honua_worker_restarts_total") >= 1


def test_metrics_are_refused_to_remote_anonymous_callers(client):
    response = client.get("/metrics")  # the test client's address is not loopback
    assert response.status_code == 403
    assert "metrics_public" in response.json()["detail"]


def test_metrics_answer_admins_from_anywhere(client, services):
    secret = new_key()
    services.authenticator.store.add_key(
        ApiKey("ops", hash_key(secret), "acme", frozenset({"admin"}), utcnow()))
    assert client.get("/metrics", headers={"X-API-Key": secret}).status_code == 200
    analyst = new_key()
    services.authenticator.store.add_key(
        ApiKey("ana", hash_key(analyst), "acme", frozenset({"analyst"}), utcnow()))
    assert client.get("/metrics", headers={"X-API-Key": analyst}).status_code == 403


def test_metrics_answer_loopback_callers(app):
    with serve(app) as base:
        response = httpx.get(f"{base}/metrics")
    assert response.status_code == 200
    assert "honua_http_requests_total" in response.text
