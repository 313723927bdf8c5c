"""A chained (nested) Execute runs as its caller: a process the caller may not run is unknown
inside a chain too (it once ran unchecked), and the inner run is the caller's job."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from tests.adapters.wps.conftest import complex_input, execute10, literal, point_geojson, post, wps_settings
from tests.adapters.wps.test_references import _exception, _nested_buffer, _reference


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    settings = wps_settings(tmp_path_factory.mktemp("chain") / "data",
                            access=({"process": "buffer", "roles": ["gis"]},))
    services = build_services(settings)
    keys = {}
    for name, roles in (("plain", {"user"}), ("gis", {"gis"})):
        keys[name] = new_key()
        services.authenticator.store.add_key(ApiKey(name, hash_key(keys[name]), "t1",
                                                    frozenset(roles), dt.datetime.now(dt.UTC)))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys, services


def _chained(outer_process: str = "centroid") -> str:
    return execute10(outer_process, _reference("features", "http://testserver/wps",
                                               method="POST", body=_nested_buffer(100)))


def test_chained_process_the_caller_may_not_run_is_unknown(guarded):
    client, keys, services = guarded
    client.headers["X-API-Key"] = keys["plain"]
    before = services.manager.list(limit=1000)[1]
    code, locator, text = _exception(post(client, _chained(), status=400))
    assert "buffer" in text and code in ("InvalidParameterValue", "NoSuchProcess")
    assert services.manager.list(limit=1000)[1] == before  # nothing ran


def test_chained_process_runs_as_the_caller(guarded):
    client, keys, services = guarded
    client.headers["X-API-Key"] = keys["gis"]
    post(client, _chained())
    jobs, _ = services.manager.list(process_id="buffer", limit=10)
    assert jobs and all((j.owner, j.tenant) == ("key:gis", "t1") for j in jobs)


def test_direct_request_still_refused(guarded):
    client, keys, _ = guarded
    client.headers["X-API-Key"] = keys["plain"]
    post(client, execute10("buffer", complex_input("features", point_geojson()),
                           literal("distance", 1, "metre")), status=400)
