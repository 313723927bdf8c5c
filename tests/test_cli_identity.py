"""``honua keys`` and ``honua users`` on the data directory, then the key and the user at work."""

from __future__ import annotations

import httpx
from owslib.ogcapi.processes import Processes
from owslib.wps import WebProcessingService
from starlette.testclient import TestClient
from typer.testing import CliRunner

from honua.app import create_app
from tests.support.servers import serve

runner = CliRunner()


def test_cli_keys_create_list_revoke(settings):
    data = ["--data-dir", str(settings.data_dir)]
    made = runner.invoke(app_(), ["keys", "create", "--name", "ci", "--role", "analyst", "--role",
                                  "ops", "--tenant", "acme", "--expires", "30d", *data])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("hk_")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/jobs", headers={"X-API-Key": key}).status_code == 200
        assert client.get("/api/jobs").status_code == 401
        listed = runner.invoke(app_(), ["keys", "list", *data])
        assert "ci" in listed.stdout and "active" in listed.stdout and key not in listed.stdout
        assert runner.invoke(app_(), ["keys", "revoke", "ci", *data]).exit_code == 0
        assert client.get("/api/jobs", headers={"X-API-Key": key}).status_code == 401
    again = runner.invoke(app_(), ["keys", "revoke", "nope", *data])
    assert again.exit_code == 1 and "no API key named 'nope'" in again.output


def test_cli_users_add_with_password_stdin_then_generate_token(settings):
    data = ["--data-dir", str(settings.data_dir)]
    added = runner.invoke(app_(), ["users", "add", "alice", "--tenant", "acme", "--role", "analyst",
                                   "--password-stdin", *data], input="s3cret-password\n")
    assert added.exit_code == 0, added.output
    with TestClient(create_app(settings)) as client:
        answer = client.post("/arcgis/tokens/generateToken",
                             data={"username": "alice", "password": "s3cret-password",
                                   "f": "json"}).json()
        assert "token" in answer
    short = runner.invoke(app_(), ["users", "add", "bob", "--tenant", "acme", "--role", "x",
                                   "--password-stdin", *data], input="short\n")
    assert short.exit_code == 1 and "at least 8" in short.output


def test_owslib_with_a_bearer_header_on_wps_and_ogc_api(settings):
    data = ["--data-dir", str(settings.data_dir)]
    made = runner.invoke(app_(), ["keys", "create", "--name", "ows", "--role", "analyst",
                                  "--tenant", "acme", *data])
    key = made.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    with serve(create_app(settings)) as base:
        wps = WebProcessingService(f"{base}/wps", version="1.0.0", headers=headers, timeout=30)
        assert "buffer" in {p.identifier for p in wps.processes}
        assert wps.describeprocess("buffer").identifier == "buffer"
        api = Processes(f"{base}/api/", headers=headers)
        assert "buffer" in [p["id"] for p in api.processes()]
        anonymous = httpx.get(f"{base}/api/processes")
        assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers


def app_():
    from honua.cli import app

    return app
