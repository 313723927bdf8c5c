"""OWSLib's OGC API - Processes client (a real client) against a live server."""

import time

import shapely
from owslib.ogcapi.processes import Processes

from tests.adapters.ogcapi.conftest import point_collection


def test_owslib_lists_and_describes_processes(live_server):
    api = Processes(f"{live_server}/api/")
    assert "buffer" in [p["id"] for p in api.processes()]
    description = api.process("buffer")
    assert description["inputs"]["distance"]["schema"]["oneOf"]
    assert api.conformance()["conformsTo"]


def test_owslib_executes_synchronously(live_server):
    api = Processes(f"{live_server}/api/")
    result = api.execute("buffer", inputs={"features": point_collection(5, 5),
                                           "distance": {"value": 1, "unit": "kilometers"}})
    polygon = shapely.geometry.shape(result["result"]["value"]["features"][0]["geometry"])
    assert polygon.contains(shapely.Point(5, 5)) and not polygon.contains(shapely.Point(5, 5.02))


def test_owslib_executes_asynchronously_and_fetches_results(live_server):
    api = Processes(f"{live_server}/api/")
    status = api.execute("buffer", inputs={"features": point_collection(5, 5), "distance": 10},
                         async_=True)
    assert status["status"] in ("accepted", "running", "successful")
    assert api.response_headers["Location"].endswith(status["jobID"])
    deadline = time.monotonic() + 30
    while status["status"] not in ("successful", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        status = api._request(path=f"jobs/{status['jobID']}")
    assert status["status"] == "successful"
    results = api._request(path=f"jobs/{status['jobID']}/results")
    assert results["result"]["value"]["type"] == "FeatureCollection"
