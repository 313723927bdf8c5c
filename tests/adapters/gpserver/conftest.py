"""Fixtures and request helpers for the GPServer tests.

The server runs the built-in toolbox plus ``toolbox.py``, one configured service
in a folder (``Analysis/Proximity``, synchronous, 5 records max) besides the
default ``Geoprocessing`` service, and the demo cities as catalog layer ``cities``.
One server per test module: a module uses either ``client`` or ``recorded_server``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import honua
from honua.app import build_services, create_app
from honua.settings import Settings
from tests.adapters.gpserver.schemas import assert_valid
from tests.adapters.gpserver.toolbox import MODULE
from tests.support.servers import serve

ROOT = "/arcgis/rest/services"
GP = f"{ROOT}/Geoprocessing/GPServer"
PROXIMITY = f"{ROOT}/Analysis/Proximity/GPServer"
GP_SERVICES = ({"name": "Proximity", "folder": "Analysis", "processes": ["buffer", "polygon_area"],
                "description": "Distance tools", "execution_type": "sync",
                "maximum_records": 5},)
CITIES = Path(honua.__file__).parent / "data" / "demo_cities.geojson"
METERS = json.dumps({"distance": 100, "units": "esriMeters"})


# One server per test module (starting the worker pool dominates a test's time); tests
# only add jobs and uploads with fresh ids, and cancel the slow jobs they start.
@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("gpserver") / "data", workers=2,
                    worker_max_jobs=50, job_timeout_seconds=60, cleanup_interval_seconds=3600,
                    process_modules=(MODULE,), gp_services=GP_SERVICES,
                    layers=({"path": str(CITIES), "id": "cities"},))


@pytest.fixture(scope="module")
def services(settings):
    return build_services(settings)


@pytest.fixture(scope="module")
def app(settings, services):
    return create_app(settings, services=services)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def point_set(*points: tuple[float, float], wkid: int | None = 4326, per_geometry: bool = False,
              **attributes: Any) -> dict[str, Any]:
    """An Esri feature set of points, as the JS SDK writes it (SR on each geometry if asked)."""
    features = []
    for i, (x, y) in enumerate(points, start=1):
        geometry: dict[str, Any] = {"x": x, "y": y}
        if per_geometry and wkid:
            geometry["spatialReference"] = {"wkid": wkid}
        features.append({"geometry": geometry, "attributes": {"OBJECTID": i, **attributes},
                         "symbol": None, "popupTemplate": None})
    document: dict[str, Any] = {
        "geometryType": "esriGeometryPoint", "features": features,
        "fields": [{"name": "OBJECTID", "type": "esriFieldTypeOID", "alias": "OBJECTID",
                    "editable": False, "nullable": False}]
        + [{"name": k, "type": "esriFieldTypeString", "alias": k} for k in attributes]}
    if wkid and not per_geometry:
        document["spatialReference"] = {"wkid": wkid}
    return document


def square_set(x: float, y: float, size: float, wkid: int = 3857) -> dict[str, Any]:
    ring = [[x, y], [x, y + size], [x + size, y + size], [x + size, y], [x, y]]
    return {"geometryType": "esriGeometryPolygon", "spatialReference": {"wkid": wkid},
            "features": [{"geometry": {"rings": [ring]}, "attributes": {}}]}


def error_of(response) -> dict[str, Any]:
    """The ArcGIS error of a JSON response, which ArcGIS sends with HTTP 200."""
    assert response.status_code == 200, response.text
    return assert_valid(response.json(), "error")["error"]


def poll(client, job_url: str, timeout: float = 30.0,
         until: tuple[str, ...] = ("esriJobSucceeded", "esriJobFailed", "esriJobCancelled",
                                   "esriJobTimedOut")) -> dict[str, Any]:
    """Poll a job the way clients do (GET jobs/<id>?f=json), bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        job = assert_valid(client.get(job_url, params={"f": "json"}).json(), "job")
        if job["jobStatus"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job['jobStatus']} after {timeout} s")
        time.sleep(0.05)


class Recorder:
    """ASGI wrapper remembering each request's method, path, query and form body."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/arcgis"):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"method": scope["method"], "path": scope["path"],
                              "query": scope["query_string"].decode(), "body": body.decode(),
                              "content_type": headers.get("content-type", "")})
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


@pytest.fixture(scope="module")
def recorded_server(app) -> Iterator[tuple[str, Recorder]]:
    """A live server whose /arcgis requests are recorded, for real-client wire checks."""
    recorder = Recorder(app)
    with serve(recorder) as base:
        yield base, recorder
