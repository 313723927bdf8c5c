"""The ``honua`` command against a live server: processes, submit, jobs."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from honua.cli import app, parse_input
from honua.client.http import HonuaClient

runner = CliRunner()
POINT = '{"type": "Point", "coordinates": [10, 60]}'


def test_cli_parse_input_json_text_and_file(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(POINT)
    assert parse_input("distance=100") == ("distance", 100)
    assert parse_input("name=plain words") == ("name", "plain words")
    assert parse_input(f"features=@{path}")[1]["type"] == "Point"


def test_cli_processes_lists_buffer(live_server):
    result = runner.invoke(app, ["processes", "--server", live_server])
    assert result.exit_code == 0 and "buffer" in result.stdout


def test_cli_submit_prints_results_and_jobs_shows_it(live_server, tmp_path):
    out = tmp_path / "result.json"
    result = runner.invoke(app, ["submit", "buffer", "--server", live_server, "-i",
                                 f"features={POINT}", "-i", 'distance="1 km"', "-o", str(out)])
    assert result.exit_code == 0, result.output
    collection = orjson.loads(out.read_bytes())["result"]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"
    listed = runner.invoke(app, ["jobs", "list", "--server", live_server, "--status", "successful"])
    assert listed.exit_code == 0 and "buffer" in listed.stdout


def test_cli_submit_bad_input_fails_with_the_servers_message(live_server):
    result = runner.invoke(app, ["submit", "buffer", "--server", live_server, "-i",
                                 f"features={POINT}", "-i", 'distance="1 parsec"'])
    assert result.exit_code == 1
    assert "unknown linear unit" in result.output


def test_cli_jobs_show_unknown_job_fails_clearly(live_server):
    result = runner.invoke(app, ["jobs", "show", "nope", "--server", live_server])
    assert result.exit_code == 1 and "no job" in result.output.lower()


def test_cli_submit_without_server_says_how_to_start_one():
    result = runner.invoke(app, ["processes", "--server", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot reach the server" in result.output


def test_cli_provenance_prints_prov_json_and_reproduces(live_server):
    submitted = runner.invoke(app, ["submit", "buffer", "--server", live_server, "-i",
                                    f"features={POINT}", "-i", 'distance="1 km"'])
    assert submitted.exit_code == 0, submitted.output
    with HonuaClient(live_server) as client:
        job_id = client.jobs(process_id="buffer")[0]["jobID"]
    result = runner.invoke(app, ["provenance", job_id, "--server", live_server])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.stdout)
    assert any(a["honua:process"] == "buffer" for a in document["activity"].values())
    again = runner.invoke(app, ["provenance", job_id, "--reproduce", "--server", live_server])
    assert again.exit_code == 0 and orjson.loads(again.stdout)["match"] is True
    missing = runner.invoke(app, ["provenance", "nope", "--server", live_server])
    assert missing.exit_code == 1 and "no job" in missing.output.lower()
