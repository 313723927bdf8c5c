"""Request ids, the access log and the job log as an operator reads them: one id per
request, echoed to the client and on every line the request caused; one access line per
request; one line per job transition, with the job's id, process, owner and tenant."""

from __future__ import annotations

import io
import json
import logging

import pytest

from honua.settings import Settings
from honua.web.logs import JsonFormatter, TextFormatter, configure_logging
from honua.web.request_log import sane_request_id
from tests.support.jobs import buffer_body, run_async_buffer


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.INFO, logger="honua")
    return caplog


def lines_of(caplog, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "request_id", "") == request_id]


def test_a_sane_request_id_is_kept_echoed_and_on_every_line(client, logged):
    response = client.post("/api/processes/buffer/execution", json=buffer_body(),
                           headers={"Prefer": "respond-async", "X-Request-Id": "lb-42.a:7"})
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "lb-42.a:7"
    ours = lines_of(logged, "lb-42.a:7")
    loggers = {r.name for r in ours}
    assert {"honua.access", "honua.jobs"} <= loggers, loggers
    submitted = next(r for r in ours if r.name == "honua.jobs")
    assert submitted.status == "submitted" and submitted.process_id == "buffer"
    assert submitted.job_id == response.json()["jobID"]


@pytest.mark.parametrize("sent", ["", "a b", "x" * 129, "x" * 100_000, "id\u00e9", "<script>",
                                  "a%0d%0ab", "a\x01b", "a\tb", "a\x7fb"])
def test_an_insane_request_id_is_replaced(client, sent):
    response = client.get("/health", headers={"X-Request-Id": sent.encode("utf-8")})
    echoed = response.headers["x-request-id"]
    assert echoed != sent and len(echoed) == 32 and int(echoed, 16) >= 0


def test_each_request_gets_its_own_id(client):
    ids = {client.get("/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_one_access_line_per_request_without_the_query_string(client, logged):
    response = client.get("/api/processes?token=secret-value&f=json",
                          headers={"Accept-Encoding": "identity"})  # bytes: as on the wire
    request_id = response.headers["x-request-id"]
    access = [r for r in lines_of(logged, request_id) if r.name == "honua.access"]
    assert len(access) == 1
    line = access[0]
    assert (line.method, line.path, line.status) == ("GET", "/api/processes", 200)
    assert line.bytes == len(response.content) and line.duration_ms >= 0
    assert "secret-value" not in logged.text


def test_refusals_and_unknown_paths_are_logged_too(client, logged):
    response = client.get("/nowhere")
    assert response.status_code == 404
    access = [r for r in lines_of(logged, response.headers["x-request-id"])
              if r.name == "honua.access"]
    assert [r.status for r in access] == [404]


def test_access_log_can_be_turned_off(settings, caplog):
    from starlette.testclient import TestClient

    from honua.app import build_services, create_app

    settings = settings.replace(access_log=False)
    caplog.set_level(logging.INFO, logger="honua")
    app = create_app(settings, services=build_services(settings), start_services=False)
    with TestClient(app) as client:
        client.get("/health")
    assert not [r for r in caplog.records if r.name == "honua.access"]


def test_every_job_transition_is_one_line(client, logged):
    final = run_async_buffer(client)
    job_id = final["jobID"]
    transitions = [r for r in logged.records
                   if r.name == "honua.jobs" and getattr(r, "job_id", "") == job_id]
    assert [r.status for r in transitions] == ["submitted", "running", "succeeded"]
    done = transitions[-1]
    assert done.levelno == logging.INFO
    assert done.duration_s >= 0 and done.process_id == "buffer"
    assert "Succeeded" in done.job_message
    assert hasattr(done, "owner") and hasattr(done, "tenant")


def test_a_failed_job_is_a_warning_with_its_message(client, logged):
    body = buffer_body()
    body["inputs"]["distance"] = {"value": 1e12, "unit": "meters"}
    response = client.post("/api/processes/buffer/execution", json=body,
                           headers={"Prefer": "respond-async"})
    if response.status_code != 201:
        pytest.skip("the request was refused up front")
    from tests.support.jobs import wait_for
    final = wait_for(client, response.json()["jobID"])
    if final["status"] != "failed":
        pytest.skip("a huge buffer succeeded")
    line = next(r for r in logged.records if r.name == "honua.jobs"
                and getattr(r, "status", "") == "failed")
    assert line.levelno == logging.WARNING and line.job_message


def test_cancel_is_logged(client, logged):
    response = client.post("/api/processes/buffer/execution", json=buffer_body(),
                           headers={"Prefer": "respond-async"})
    job_id = response.json()["jobID"]
    client.delete(f"/api/jobs/{job_id}")
    statuses = [r.status for r in logged.records
                if r.name == "honua.jobs" and getattr(r, "job_id", "") == job_id]
    assert statuses[0] == "submitted"
    assert statuses[-1] in ("dismissed", "cancelled")


def _record(**extra) -> logging.LogRecord:
    record = logging.getLogger("honua.jobs").makeRecord(
        "honua.jobs", logging.WARNING, __file__, 1, "job %s failed", ("j1",), None,
        extra=extra)
    return record


def test_json_lines_parse_and_keep_the_fields():
    record = _record(job_id="j1", process_id="buffer", owner="key:ci", tenant="acme",
                     duration_s=1.5)
    record.request_id = "r-1"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "job j1 failed" and entry["level"] == "warning"
    assert entry["request_id"] == "r-1" and entry["logger"] == "honua.jobs"
    assert entry["job_id"] == "j1" and entry["duration_s"] == 1.5
    assert entry["time"].endswith("Z")


def test_json_lines_stay_one_line_whatever_the_message():
    record = _record(job_message="line one\nline two\r\n{\"injected\": true}")
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert json.loads(text)["job_message"].startswith("line one\nline two")


def test_text_lines_name_the_request():
    record = _record(job_id="j1")
    record.request_id = "r-1"
    assert TextFormatter().format(record).startswith("WARNING  honua.jobs [r-1]: job j1 failed")


def test_configure_logging_writes_json_with_the_request_id(tmp_path):
    stream = io.StringIO()
    handler = configure_logging(Settings(data_dir=tmp_path, log_format="json"), stream)
    try:
        logging.getLogger("honua.test").info("hello", extra={"n": 1})
    finally:
        for name in ("honua", "uvicorn", "uvicorn.error"):
            logger = logging.getLogger(name)
            logger.removeHandler(handler)
            logger.propagate = True
            logger.setLevel(logging.NOTSET)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "hello" and entry["n"] == 1


def test_configure_logging_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="log_format"):
        configure_logging(Settings(data_dir=tmp_path, log_format="xml"))


def test_sane_request_id():
    assert sane_request_id("abc-DEF_1.2:3") == "abc-DEF_1.2:3"
    assert sane_request_id(None) != sane_request_id(None)
