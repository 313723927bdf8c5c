"""The CLI as a user drives it against a live server: describe, upload, job id prefixes,
cancel that keeps the job and dismiss that deletes it, results streamed compactly."""

from __future__ import annotations

import json

import httpx
import orjson
from typer.testing import CliRunner

from honua.cli import app
from honua.core.jobs import Job, JobStatus
from tests.support.jobs import buffer_body, points, run_async_buffer

runner = CliRunner()


def _job(base: str, n: int = 3) -> str:
    with httpx.Client(base_url=base, timeout=60) as client:
        final = run_async_buffer(client, n=n)
    assert final["status"] == "successful", final
    return final["jobID"]


def test_describe_lists_inputs(live_server):
    result = runner.invoke(app, ["describe", "buffer", "--server", live_server])
    assert result.exit_code == 0, result.output
    assert "features" in result.output and "distance" in result.output


def test_describe_unknown_process_fails_clearly(live_server):
    result = runner.invoke(app, ["describe", "no-such", "--server", live_server])
    assert result.exit_code == 1 and "no-such" in result.output


def test_upload_prints_an_id_usable_as_input(live_server, tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(points(4)))
    result = runner.invoke(app, ["upload", str(path), "--server", live_server])
    assert result.exit_code == 0, result.output
    upload_id = result.stdout.strip()
    info = httpx.get(f"{live_server}/api/uploads/{upload_id}").json()
    assert info["name"] == "points.geojson"


def test_upload_of_a_missing_file_fails(live_server, tmp_path):
    result = runner.invoke(app, ["upload", str(tmp_path / "nope.gpkg"), "--server", live_server])
    assert result.exit_code == 1 and "not a file" in result.output


def test_results_by_prefix_written_compactly(live_server, tmp_path):
    job_id = _job(live_server, 50)
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["jobs", "results", job_id[:6], "-o", str(out),
                                 "--server", live_server])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert b"\n" not in data and b": " not in data  # compact
    document = orjson.loads(data)
    assert len(document["result"]["features"]) == 50
    assert "results written" in result.output


def test_show_by_prefix_and_unknown_prefix(live_server):
    job_id = _job(live_server)
    shown = runner.invoke(app, ["jobs", "show", job_id[:8], "--server", live_server])
    assert shown.exit_code == 0 and job_id in shown.stdout
    missing = runner.invoke(app, ["jobs", "show", "zzzzzz!", "--server", live_server])
    assert missing.exit_code == 1 and "no job starts with" in missing.output


def test_ambiguous_prefix_is_a_clear_error(live_server, services):
    for suffix in ("A", "B"):
        services.manager.store.create(Job(id="sharedprefix" + suffix * 10, process_id="buffer",
                                          status=JobStatus.SUCCEEDED))
    result = runner.invoke(app, ["jobs", "show", "sharedpre", "--server", live_server])
    assert result.exit_code == 1
    assert "2 jobs start with 'sharedpre'" in result.output
    assert "give more characters" in result.output
    one = runner.invoke(app, ["jobs", "show", "sharedprefixA", "--server", live_server])
    assert one.exit_code == 0 and "sharedprefixAAAAAAAAAA" in one.stdout


def test_cancel_keeps_the_job_and_dismiss_deletes_it(live_server):
    body = buffer_body(1)
    body["inputs"]["features"] = points(200_000)
    response = httpx.post(f"{live_server}/api/processes/buffer/execution", json=body,
                          headers={"Prefer": "respond-async"}, timeout=120)
    job_id = response.json()["jobID"]
    cancelled = runner.invoke(app, ["jobs", "cancel", job_id, "--server", live_server])
    assert cancelled.exit_code == 0, cancelled.output
    info = httpx.get(f"{live_server}/api/jobs/{job_id}").json()
    assert info["status"] in ("dismissed", "running")  # stopped, or stopping; still there
    dismissed = runner.invoke(app, ["jobs", "dismiss", job_id, "--server", live_server])
    assert dismissed.exit_code == 0, dismissed.output
    assert httpx.get(f"{live_server}/api/jobs/{job_id}").status_code == 404


def test_submit_writes_compact_results(live_server, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["submit", "buffer", "--server", live_server, "-i",
                                 f"features={json.dumps(points(2))}", "-i",
                                 'distance="1 km"', "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert b"\n" not in out.read_bytes()
    assert orjson.loads(out.read_bytes())["result"]["type"] == "FeatureCollection"
