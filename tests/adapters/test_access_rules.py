"""Per-process ``[[honua.access]]`` rules on all three surfaces: a process the caller may not
use is absent from every list and answers exactly as an unknown id."""

import datetime as dt

import pytest
from starlette.testclient import TestClient

from honua.app import build_services, create_app
from honua.core.identity import ApiKey, hash_key, new_key
from honua.settings import Settings

RULES = ({"process": "dissolve", "roles": ["analyst"]}, {"process": "explode", "disabled": True},
         {"process": "buffer", "public": True})
GP = "/arcgis/rest/services/Geoprocessing/GPServer"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("access") / "data", workers=1,
                        cleanup_interval_seconds=3600, access=RULES, anonymous=True)
    services = build_services(settings)
    keys = {}
    for name, roles in (("analyst", {"analyst"}), ("viewer", {"viewer"}), ("boss", {"admin"})):
        keys[name] = new_key()
        services.authenticator.store.add_key(ApiKey(
            name, hash_key(keys[name]), "t1", frozenset(roles), dt.datetime.now(dt.UTC)))
    with TestClient(create_app(settings, services=services),
                    raise_server_exceptions=False) as client:
        yield client, keys


def _headers(keys, who):
    return {"X-API-Key": keys[who]} if who else {}


def _seen(client, headers):
    ogc = {p["id"] for p in client.get("/api/processes", headers=headers).json()["processes"]}
    caps = client.get("/wps", params={"service": "WPS", "request": "GetCapabilities"},
                      headers=headers).text
    tasks = set(client.get(GP, params={"f": "json"}, headers=headers).json()["tasks"])
    wps = {p for p in ("dissolve", "explode", "buffer") if f">{p}<" in caps}
    return ogc, wps, tasks


@pytest.mark.parametrize(("who", "dissolve"), [("", False), ("viewer", False),
                                               ("analyst", True), ("boss", True)])
def test_lists_on_every_surface_follow_the_rules(server, who, dissolve):
    client, keys = server
    ogc, wps, tasks = _seen(client, _headers(keys, who))
    assert ("dissolve" in ogc) is dissolve and ("dissolve" in wps) is dissolve
    assert ("Dissolve" in tasks) is dissolve
    assert "explode" not in ogc and "explode" not in wps and "Explode" not in tasks  # disabled
    assert "buffer" in ogc and "buffer" in wps and "Buffer" in tasks                 # public


def test_a_hidden_process_answers_as_an_unknown_one_on_every_surface(server):
    client, keys = server
    headers = _headers(keys, "viewer")
    for hidden, unknown in (("dissolve", "no_such_process"),):
        a = client.get(f"/api/processes/{hidden}", headers=headers)
        b = client.get(f"/api/processes/{unknown}", headers=headers)
        assert a.status_code == b.status_code == 404
        assert a.json()["detail"].replace(hidden, "X") == b.json()["detail"].replace(unknown, "X")
        run = client.post(f"/api/processes/{hidden}/execution", json={"inputs": {}},
                          headers=headers)
        assert run.status_code == 404
        wps = [client.get("/wps", params={"service": "WPS", "version": "1.0.0",
                                          "request": "DescribeProcess", "identifier": name},
                          headers=headers) for name in (hidden, unknown)]
        assert wps[0].status_code == wps[1].status_code
        assert wps[0].text.replace(hidden, "X") == wps[1].text.replace(unknown, "X")
        executes = [client.get("/wps", params={"service": "WPS", "version": "1.0.0",
                                               "request": "Execute", "identifier": name},
                               headers=headers) for name in (hidden, unknown)]
        assert executes[0].status_code == executes[1].status_code >= 400
        assert executes[0].text.replace(hidden, "X") == executes[1].text.replace(unknown, "X")
        gp = [client.get(f"{GP}/{task}", params={"f": "json"}, headers=headers).json()
              for task in ("Dissolve", "NoSuchProcess")]
        assert gp[0]["error"]["code"] == gp[1]["error"]["code"]
        assert "Dissolve" not in gp[1]["error"]["message"]  # the hidden task is not listed
        submit = client.post(f"{GP}/Dissolve/execute", data={"f": "json"}, headers=headers)
        assert "error" in submit.json()


def test_a_bad_rule_stops_the_start(tmp_path):
    with pytest.raises(ValueError, match="roles must be a list"):
        build_services(Settings(data_dir=tmp_path, access=({"process": "x", "roles": "a"},)))
