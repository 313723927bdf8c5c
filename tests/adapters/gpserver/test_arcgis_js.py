"""The real ArcGIS Maps SDK for JavaScript (``@arcgis/core`` under Node) against a live server.

``tests/clients/arcgis-js/gp.mjs`` calls ``geoprocessor.execute`` and
``submitJob`` + ``waitForJobCompletion`` + ``fetchResultData`` / ``cancelJob``;
the server records every request so the tests also check what went over the wire.
"""

from __future__ import annotations

import json
import math
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
from pyproj import Geod, Transformer

from tests.adapters.gpserver.conftest import point_set

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "arcgis-js"
INSTALL = "npm ci --prefix tests/clients/arcgis-js"
GEOD = Geod(ellps="WGS84")


class Sdk:
    """One Node process running ``gp.mjs``: a scenario line in, an answer line out."""

    def __init__(self, node: str, base: str, recorder) -> None:
        self.base = base
        self.requests = recorder.requests
        self.process = subprocess.Popen([node, "gp.mjs"], cwd=CLIENT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.answers.put(line)

    def __call__(self, mode: str, task: str, params: dict, options: dict | None = None,
                 outputs: tuple[str, ...] = ()) -> dict:
        self.requests.clear()
        scenario = {"mode": mode, "params": params, "options": options or {},
                    "url": f"{self.base}/arcgis/rest/services/Geoprocessing/GPServer/{task}",
                    "outputs": list(outputs)}
        self.process.stdin.write(json.dumps(scenario) + "\n")
        self.process.stdin.flush()
        try:
            return json.loads(self.answers.get(timeout=60))
        except queue.Empty:
            self.process.kill()
            raise AssertionError("the SDK gave no answer in 60 s: "
                                 f"{self.process.stderr.read()}") from None

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def arcgis_js(recorded_server):
    """The SDK driver; a missing Node or SDK fails with how to install it."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("Node.js is needed for the ArcGIS JS SDK tests (node not on PATH)")
    if not (CLIENT / "node_modules" / "@arcgis" / "core").is_dir():
        raise AssertionError(f"the ArcGIS Maps SDK for JavaScript is not installed: run {INSTALL}")
    base, recorder = recorded_server
    sdk = Sdk(node, base, recorder)
    yield sdk
    sdk.close()


def _params(request: dict) -> dict[str, str]:
    return dict(parse_qsl(request["query"] or request["body"], keep_blank_values=True))


def _buffer_params(*points, distance=100):
    return {"features": {"featureSet": point_set(*points, per_geometry=True, Name="pt")},
            "distance": {"linearUnit": {"distance": distance, "units": "meters"}}}


def test_js_execute_buffer_reads_polygons_in_web_mercator(arcgis_js):
    answer = arcgis_js("execute", "Buffer", _buffer_params((13.4, 52.5)),
                       {"outSpatialReference": {"wkid": 3857}})
    assert answer["ok"], answer
    result = answer["results"]["result"]
    assert result["dataType"] == "feature-record-set-layer"
    feature_set = result["value"]
    assert feature_set["spatialReference"]["latestWkid"] == 3857
    ring = np.array(feature_set["features"][0]["geometry"]["rings"][0])
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(ring[:, 0], ring[:, 1])
    _, _, distance = GEOD.inv(np.full(len(lon), 13.4), np.full(len(lon), 52.5), lon, lat)
    assert np.all(np.abs(distance - 100) <= 0.5)
    assert feature_set["features"][0]["attributes"]["Name"] == "pt"
    (request,) = arcgis_js.requests
    assert request["method"] == "GET" and request["path"].endswith("/Buffer/execute")
    sent = _params(request)
    assert sent["env:outSR"] == "3857" and sent["f"] == "json"  # the SR's wkid, as given
    assert json.loads(sent["distance"]) == {"distance": 100, "units": "esriMeters"}


def test_js_long_request_goes_as_form_encoded_post(arcgis_js):
    points = [(10 + i * 0.001, 50.0) for i in range(60)]
    answer = arcgis_js("execute", "Buffer", _buffer_params(*points))
    assert answer["ok"], answer
    assert len(answer["results"]["result"]["value"]["features"]) == 60
    (request,) = arcgis_js.requests
    assert request["method"] == "POST"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert len(json.loads(_params(request)["features"])["features"]) == 60


def test_js_submit_job_wait_and_fetch_result_data(arcgis_js):
    answer = arcgis_js("submitJob", "Buffer", _buffer_params((0.0, 0.0), distance=1000),
                       {"processSpatialReference": {"wkid": 3857}}, outputs=("result",))
    assert answer["ok"], answer
    assert answer["jobStatus"] == "job-succeeded"
    assert answer["submitted"] in ("job-submitted", "job-waiting", "job-executing")
    value = answer["results"]["result"]["value"]
    ring = np.array(value["features"][0]["geometry"]["rings"][0])
    assert value["spatialReference"]["latestWkid"] == 3857  # processSR, no outSR
    assert (ring[:, 0].max() - ring[:, 0].min()) / 2 == pytest.approx(1000, rel=1e-3)
    methods = [(r["method"], r["path"].split("/Buffer/")[1].split("/")[0]) for r in
               arcgis_js.requests]
    assert methods[0] == ("GET", "submitJob")
    assert all(m == ("GET", "jobs") for m in methods[1:])
    last = arcgis_js.requests[-1]
    assert last["path"].endswith("/results/result")
    assert _params(last)["returnType"] == "data"
    assert _params(arcgis_js.requests[0])["env:processSR"] == "3857"


def test_js_cancel_job_ends_cancelled(arcgis_js):
    answer = arcgis_js("cancel", "Slow", {"seconds": 30})
    assert answer["ok"], answer
    assert answer["jobStatus"] == "job-cancelled"
    cancels = [r for r in arcgis_js.requests if r["path"].endswith("/cancel")]
    assert len(cancels) == 1 and cancels[0]["method"] == "GET"


def test_js_execute_of_unknown_task_rejects_with_the_server_message(arcgis_js):
    answer = arcgis_js("execute", "NoSuchTask", {"x": 1})
    assert not answer["ok"]
    assert answer["error"]["name"] == "request:server"
    assert "no task 'NoSuchTask'" in answer["error"]["message"]


def test_js_failed_job_rejects_wait_for_job_completion(arcgis_js):
    answer = arcgis_js("submitJob", "Fail", {"text": "broken on purpose"}, outputs=("result",))
    assert not answer["ok"] and answer["jobStatus"] == "job-failed"
    errors = [m for m in answer["messages"] if m["type"] == "error"]
    assert any("broken on purpose" in m["description"] for m in errors)


def test_js_reads_web_mercator_coordinates_directly_for_a_100_m_buffer(arcgis_js):
    answer = arcgis_js("execute", "Buffer", _buffer_params((13.4, 52.5)),
                       {"outSpatialReference": {"wkid": 102100}})
    ring = np.array(answer["results"]["result"]["value"]["features"][0]["geometry"]["rings"][0])
    half = (ring[:, 1].max() - ring[:, 1].min()) / 2
    assert half == pytest.approx(100 / math.cos(math.radians(52.5)), rel=0.01)
