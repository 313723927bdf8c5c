"""The proactive governor: a full queue backlog or an owner at their concurrency limit is
refused at once with 429 and a Retry-After estimated from the queue's throughput, in each
protocol's format, and nothing is recorded for the refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.governor import check_backlog
from honua.core.identity import ApiKey, hash_key, new_key
from honua.core.jobs import Job, JobEvent
from honua.core.queues import Queue
from honua.errors import OverQuota
from honua.settings import Settings
from honua.store.memory import MemoryJobStore
from tests.adapters.gpserver.toolbox import MODULE

GP = "/arcgis/rest/services/Geoprocessing/GPServer"
WPS_SLOW = ('<wps:Execute service="WPS" version="2.0.0" mode="async" response="document" '
            'xmlns:wps="http://www.opengis.net/wps/2.0" xmlns:ows="http://www.opengis.net/ows/2.0">'
            "<ows:Identifier>slow</ows:Identifier><wps:Input id=\"seconds\"><wps:Data>8"
            "</wps:Data></wps:Input><wps:Output id=\"result\" transmission=\"value\"/>"
            "</wps:Execute>")


def _server(tmp_path, **settings_values):
    settings = Settings(data_dir=tmp_path / "data", workers=1, cleanup_interval_seconds=3600,
                        process_modules=(MODULE,), **settings_values)
    services = build_services(settings)
    keys = {}
    for name in ("a", "b"):
        keys[name] = {"X-API-Key": new_key()}
        services.authenticator.store.add_key(ApiKey(
            name, hash_key(keys[name]["X-API-Key"]), "", frozenset({"user"}),
            dt.datetime.now(dt.UTC)))
    return settings, services, keys


@pytest.fixture
def backlogged(tmp_path):
    settings, services, keys = _server(tmp_path, queues=({"name": "cpu-burst", "backlog": 1},))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys, services
        for job in services.manager.list(limit=100)[0]:
            services.manager.cancel(job.id)


def _slow(client, headers):
    return client.post("/api/processes/slow/execution", headers={
        **headers, "Prefer": "respond-async"}, json={"inputs": {"seconds": 8}})


def test_a_full_backlog_is_refused_at_once_on_every_surface(backlogged):
    client, keys, services = backlogged
    first = _slow(client, keys["a"])
    assert first.status_code == 201
    job = services.manager.get(first.json()["jobID"])
    while job.status.value != "running":  # then the next one waits in the queue
        job = services.manager.wait_for_change(job.id, job, 30)
    assert _slow(client, keys["b"]).status_code == 201  # waits: the backlog is now full
    before = services.manager.list(limit=100)[1]
    over = _slow(client, keys["b"])
    assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
    assert "cpu-burst queue is full" in over.json()["detail"]
    gp = client.post(f"{GP}/Slow/submitJob", data={"f": "json", "seconds": "8"},
                     headers=keys["a"])
    assert gp.json()["error"]["code"] == 429 and "Retry-After" in gp.headers
    wps = client.post("/wps", headers={**keys["a"], "Content-Type": "text/xml"},
                      content=WPS_SLOW)
    assert wps.status_code == 429 and "Retry-After" in wps.headers, wps.text
    assert "ExceptionReport" in wps.text and "queue is full" in wps.text
    assert services.manager.list(limit=100)[1] == before  # nothing recorded for refusals


def test_an_owner_at_the_limit_is_refused_and_others_are_not(tmp_path):
    settings, services, keys = _server(tmp_path, owner_max_jobs=1)
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        try:
            assert _slow(client, keys["a"]).status_code == 201
            over = _slow(client, keys["a"])
            assert over.status_code == 429 and "at most 1 at once" in over.json()["detail"]
            assert _slow(client, keys["b"]).status_code == 201
        finally:
            for job in services.manager.list(limit=100)[0]:
                services.manager.cancel(job.id)


def test_retry_after_follows_the_queues_recent_throughput():
    store = MemoryJobStore()
    now = dt.datetime.now(dt.UTC)
    for i in range(6):  # six finished in the last minute: one every 10 s
        job = Job(id=f"done-{i}", process_id="p", created=now, updated=now)
        for event in (JobEvent.SUBMIT, JobEvent.START, JobEvent.SUCCEED):
            job = job.apply(event, now)
        store.create(job, queue="long-tail", priority=10)
    for i in range(3):
        store.create(Job(id=f"wait-{i}", process_id="p", created=now, updated=now)
                     .apply(JobEvent.SUBMIT, now), queue="long-tail", priority=10)
    queue = Queue("long-tail", 1, 10, backlog=2)
    with pytest.raises(OverQuota) as refused:
        check_backlog(store, queue, now)
    assert refused.value.retry_after == 20  # two over the limit, one per 10 s
    check_backlog(store, Queue("long-tail", 1, 10, backlog=4), now)  # room: no refusal
