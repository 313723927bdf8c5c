"""An asynchronous chained Execute (a nested ``wps:Execute`` in the body of a reference) is
one job: the request answers at once with its status location while the inner process
is still waiting at a gate, the job ends succeeded with the chained result, a failing
inner step fails it with the step's message, in WPS 1.0.0 and 2.0 and through OWSLib.
A synchronous chain still runs inside the request (``test_references``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from owslib.wps import WebProcessingService, monitorExecution
from starlette.testclient import TestClient

from honua.app import create_app
from tests.adapters.wps.conftest import (
    NS,
    document,
    execute10,
    execute20,
    input20,
    literal,
    output10,
    poll,
    poll20,
    post,
    status_of,
    wps_settings,
)
from tests.support.servers import serve

RAW_RESULT = "<wps:RawDataOutput><ows:Identifier>result</ows:Identifier></wps:RawDataOutput>"
ASYNC_FORM = document(output10("count"), storeExecuteResponse="true", status="true")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # the gate process reads a file of the test's folder: no sandbox for this app's workers
    return create_app(wps_settings(tmp_path_factory.mktemp("chain") / "data", sandbox="off"))


@pytest.fixture(scope="module")
def wps(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _open(gate: Path, value: int) -> None:
    """Open the gate (written whole, then renamed: the process never reads half of it)."""
    part = gate.with_suffix(".part")
    part.write_text(str(value))
    os.replace(part, gate)


def _chained(name: str, nested: str, href: str = "http://testserver/wps") -> str:
    return (f"<wps:Input><ows:Identifier>{name}</ows:Identifier><wps:Reference "
            f'xlink:href="{href}" method="POST"><wps:Body>{nested}</wps:Body></wps:Reference>'
            "</wps:Input>")


def _echo_of_gate(gate: Path, form: str = ASYNC_FORM, href: str = "http://testserver/wps") -> str:
    inner = execute10("wps_gate", literal("path", gate), form=RAW_RESULT)
    return execute10("wps_echo", literal("text", "chained"), _chained("count", inner, href),
                     form=form)


def _count(root) -> str:
    for output in root.iterfind("wps:ProcessOutputs/wps:Output", NS):
        if output.findtext("ows:Identifier", namespaces=NS) == "count":
            return output.findtext("wps:Data/wps:LiteralData", namespaces=NS)
    raise AssertionError("no output 'count'")


def test_async_chain_answers_while_the_inner_process_waits(wps, tmp_path):
    gate = tmp_path / "gate"
    root = post(wps, _echo_of_gate(gate))
    assert status_of(root) in ("ProcessAccepted", "ProcessStarted")  # the gate is shut
    location = root.get("statusLocation")
    job_id = location.rsplit("/", 1)[1]
    assert root.find("wps:Process/ows:Identifier", NS).text == "wps_echo"
    assert status_of(poll(wps, location, until=("ProcessStarted",))) == "ProcessStarted"
    _open(gate, 7)
    done = poll(wps, location)
    assert status_of(done) == "ProcessSucceeded", done.findtext(".//ows:ExceptionText",
                                                                 namespaces=NS)
    assert _count(done) == "7"
    job = wps.get(f"/api/jobs/{job_id}").json()
    assert job["status"] == "successful"
    messages = " ".join(m.text for m in wps.app.state.services.manager.store.messages(job_id))
    assert "step 'main.count'" in messages and "wps_gate" in messages


def test_async_chain_whose_inner_step_fails_fails_with_its_message(wps):
    inner = execute10("wps_fail", literal("reason", "input"), form=RAW_RESULT)
    outer = execute10("wps_echo", literal("text", "x"), _chained("count", inner),
                      form=ASYNC_FORM)
    root = post(wps, outer)
    assert status_of(root) in ("ProcessAccepted", "ProcessStarted", "ProcessFailed")
    done = poll(wps, root.get("statusLocation"))
    assert status_of(done) == "ProcessFailed"
    text = done.findtext("wps:Status/wps:ProcessFailed//ows:ExceptionText", namespaces=NS)
    assert "step 'main.count' (wps_fail) failed" in text and "out of range" in text


def test_async_chain_with_a_bad_inner_input_is_refused_at_once(wps):
    inner = execute10("wps_gate", literal("limit", "soon"), form=RAW_RESULT)  # no path, bad limit
    outer = execute10("wps_echo", literal("text", "x"), _chained("count", inner),
                      form=ASYNC_FORM)
    root = post(wps, outer, status=400)
    assert root.find("ows:Exception", NS).get("exceptionCode") == "InvalidParameterValue"


def test_async_chain_in_wps20(wps, tmp_path):
    gate = tmp_path / "gate"
    inner = execute20("wps_gate", input20("path", str(gate)), outputs='<wps:Output id="result"/>',
                      response="raw")
    outer = execute20("wps_echo", input20("text", "chained"),
                      '<wps:Input id="count"><wps:Reference xlink:href="http://geoserver/wps">'
                      f"<wps:Body>{inner}</wps:Body></wps:Reference></wps:Input>",
                      outputs='<wps:Output id="count"/>', mode="async")
    root = post(wps, outer)
    assert root.findtext("wps2:Status", namespaces=NS) in ("Accepted", "Running")
    job_id = root.findtext("wps2:JobID", namespaces=NS)
    _open(gate, 11)
    assert poll20(wps, job_id).findtext("wps2:Status", namespaces=NS) == "Succeeded"
    result = wps.get("/wps", params={"service": "WPS", "version": "2.0.0",
                                     "request": "GetResult", "jobid": job_id})
    assert result.status_code == 200 and ">11<" in result.text


def test_owslib_follows_an_async_chain(app, tmp_path):
    gate = tmp_path / "gate"
    with serve(app) as base:
        service = WebProcessingService(f"{base}/wps", version="1.0.0", timeout=30)
        request = _echo_of_gate(gate, href=f"{base}/wps").encode()
        execution = service.execute("wps_echo", [], request=request)
        assert execution.status in ("ProcessAccepted", "ProcessStarted"), execution.errors
        assert execution.statusLocation.startswith(f"{base}/wps/status/")
        _open(gate, 5)
        monitorExecution(execution, sleepSecs=0.1)
        assert execution.isSucceded(), [e.text for e in execution.errors]
        outputs = {o.identifier: o for o in execution.processOutputs}
        assert outputs["count"].data == ["5"]
