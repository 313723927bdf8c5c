"""A large stored result goes out from its file in chunks, never read whole into the
server's memory: the same bytes, gzip still negotiated, and Range requests for resuming."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient

from honua.app import create_app
from honua.settings import Settings
from tests.adapters.ogcapi.conftest import poll
from tests.support.layers import write_layer

FEATURES = 3000


class BodySizes:
    """ASGI wrapper noting the size of every body message the application sends."""

    def __init__(self, app):
        self.app = app
        self.sizes: list[int] = []

    async def __call__(self, scope, receive, send):
        async def noting(message):
            if message["type"] == "http.response.body":
                self.sizes.append(len(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, noting)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("streaming") / "data"
    write_layer(data / "layers" / "cities.gpkg", FEATURES, crs="EPSG:3857")
    settings = Settings(data_dir=data, workers=1, worker_max_jobs=50, job_timeout_seconds=120,
                        cleanup_interval_seconds=3600, chunk_features=500)
    app = BodySizes(create_app(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        submitted = client.post("/api/processes/buffer/execution",
                                headers={"Prefer": "respond-async"}, json={"inputs": {
                                    "features": {"layerReference": "cities"},
                                    "distance": {"value": 100, "unit": "meters"}}})
        assert submitted.status_code == 201, submitted.text
        info = poll(client, submitted.json()["jobID"], timeout=120)
        assert info["status"] == "successful", info
        stored = data / "artifacts"
        files = list(stored.rglob("*.geojson"))
        assert len(files) == 1, files
        yield client, app, f"/api/jobs/{info['jobID']}/results/result", files[0].read_bytes()


def test_a_stored_result_is_sent_in_chunks_with_the_stored_bytes(served):
    client, app, url, stored = served
    assert len(stored) > 1_000_000  # big enough that whole-body sending would show
    app.sizes.clear()
    answer = client.get(url, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert answer.content == stored
    assert len(orjson.loads(answer.content)["features"]) == FEATURES
    sent = [size for size in app.sizes if size]
    assert len(sent) >= len(stored) // (256 * 1024)  # many messages, none holding it all
    assert max(sent) <= 256 * 1024


def test_a_stored_result_is_still_compressed_when_asked(served):
    client, app, url, stored = served
    app.sizes.clear()
    answer = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.content == stored  # httpx decodes
    assert len([size for size in app.sizes if size]) > 1  # compressed chunk by chunk


def test_a_stored_result_can_be_resumed_with_a_range(served):
    client, _, url, stored = served
    start = len(stored) // 2
    answer = client.get(url, headers={"Range": f"bytes={start}-", "Accept-Encoding": "gzip"})
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes {start}-{len(stored) - 1}/{len(stored)}"
    assert "content-encoding" not in answer.headers
    assert answer.content == stored[start:]
    assert answer.headers["accept-ranges"] == "bytes"


def test_a_gpserver_geojson_result_of_a_layer_is_sent_from_its_file(served, tmp_path):
    import json
    import time

    client, app, _, _ = served
    gp = "/arcgis/rest/services/Geoprocessing/GPServer/Buffer"
    answer = client.post(f"{gp}/submitJob", data={
        "f": "json", "features": json.dumps({"url": "http://testserver/api/collections/cities"}),
        "distance": json.dumps({"distance": 100, "units": "esriMeters"})})
    assert answer.status_code == 200 and "jobId" in answer.json(), answer.text
    job_id = answer.json()["jobId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"{gp}/jobs/{job_id}", params={"f": "json"}).json()
        if status["jobStatus"] in ("esriJobSucceeded", "esriJobFailed"):
            break
        time.sleep(0.1)
    assert status["jobStatus"] == "esriJobSucceeded", status
    app.sizes.clear()
    result = client.get(f"{gp}/jobs/{job_id}/results/result",
                        params={"f": "geojson"}, headers={"Accept-Encoding": "identity"})
    assert result.status_code == 200, result.text
    assert len(orjson.loads(result.content)["features"]) == FEATURES
    data = app.app.state.services.settings.data_dir
    stored = [p for p in (data / "artifacts").rglob("*.geojson") if job_id in str(p)]
    assert len(stored) == 1 and result.content == stored[0].read_bytes()  # the file as kept
    assert len([size for size in app.sizes if size]) > 1  # in chunks
