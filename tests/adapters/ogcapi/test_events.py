"""``GET /api/jobs/{id}/events``: a job followed live over Server-Sent Events, through a real
socket (uvicorn), as a browser's EventSource reads it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from honua.app import create_app
from tests.support.servers import serve
from tests.support.tenants import tenant_services

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def read_events(response: httpx.Response, limit: float = 60.0) -> list[tuple[str, dict, float]]:
    """(event, data, seconds since the request) of each frame, until the stream ends."""
    began = time.monotonic()
    events: list[tuple[str, dict, float]] = []
    name, data = "message", ""
    for line in response.iter_lines():
        if time.monotonic() - began > limit:
            raise AssertionError("the stream did not end")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            events.append((name, json.loads(data), time.monotonic() - began))
            name, data = "message", ""
    return events


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings, services, keys = tenant_services(
        tmp_path_factory.mktemp("events") / "data", workers=2, cleanup_interval_seconds=3600,
        process_modules=("tests.plugins.misbehaving",))
    with serve(create_app(settings, services=services)) as base:
        yield base, keys


def submit(base: str, headers: dict, seconds: float) -> str:
    response = httpx.post(f"{base}/api/processes/sleepy/execution", headers={
        **headers, "Prefer": "respond-async"}, json={"inputs": {"seconds": seconds}})
    assert response.status_code == 201, response.text
    return response.json()["jobID"]


def test_a_job_streams_status_progress_messages_and_its_end(server):
    base, keys = server
    submitted = time.monotonic()
    job_id = submit(base, keys["a"], 1.5)
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", headers=keys["a"],
                      timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    first = events[0]
    assert first[0] == "status" and first[1]["jobID"] == job_id
    # the first event is the job as it is, sent at once (not after a polling period)
    assert first[2] < 1.0, f"first event after {first[2]:.2f} s"
    print(f"time to first SSE event: {first[2]:.3f} s after the request "
          f"({time.monotonic() - submitted:.2f} s submit to end)")
    kinds = [e[0] for e in events]
    assert kinds[-1] == "end" and kinds.count("end") == 1
    end = events[-1][1]
    assert end["status"] == "successful"
    assert any(link["href"].endswith(f"/api/jobs/{job_id}/results") for link in end["links"])
    progress = sorted({e[1]["progress"] for e in events if e[0] == "status"})
    assert len([p for p in progress if 0 < p < 100]) >= 2, progress  # it moved in between
    texts = [e[1]["text"] for e in events if e[0] == "message"]
    assert "going to sleep" in texts


def test_a_finished_job_streams_its_state_and_ends_at_once(server):
    base, keys = server
    job_id = submit(base, keys["a"], 0.0)
    for _ in range(200):
        if httpx.get(f"{base}/api/jobs/{job_id}", headers=keys["a"]).json()["status"] != "running":
            break
        time.sleep(0.05)
    began = time.monotonic()
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", headers=keys["a"],
                      timeout=30) as response:
        events = read_events(response)
    assert events[-1][0] == "end" and time.monotonic() - began < 5


def test_reconnecting_with_last_event_id_skips_messages_seen(server):
    base, keys = server
    job_id = submit(base, keys["a"], 0.0)
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", headers=keys["a"]) as r:
        everything = [e for e in read_events(r) if e[0] == "message"]
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events",
                      headers={**keys["a"], "Last-Event-ID": "1"}) as r:
        later = [e for e in read_events(r) if e[0] == "message"]
    assert len(later) == len(everything) - 1


def test_the_stream_of_another_tenants_job_is_404_like_an_unknown_id(server):
    base, keys = server
    job_id = submit(base, keys["a"], 0.5)
    theirs = httpx.get(f"{base}/api/jobs/{job_id}/events", headers=keys["b"], timeout=10)
    unknown = httpx.get(f"{base}/api/jobs/{UNKNOWN}/events", headers=keys["b"], timeout=10)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    assert theirs.text.replace(job_id, "X") == unknown.text.replace(UNKNOWN, "X")


def test_anonymous_callers_are_refused_when_the_server_has_keys(server):
    base, _ = server
    response = httpx.get(f"{base}/api/jobs/{UNKNOWN}/events", timeout=10)
    assert response.status_code == 401


@pytest.mark.parametrize("job_id", ["%3Cscript%3E", "x" * 5000, "..%2F..%2Fetc"])
def test_hostile_ids_are_a_fast_404(server, job_id):
    base, keys = server
    began = time.monotonic()
    response = httpx.get(f"{base}/api/jobs/{job_id}/events", headers=keys["a"], timeout=10)
    assert response.status_code == 404 and time.monotonic() - began < 2
    assert response.headers["content-type"] == "application/problem+json"  # not markup
