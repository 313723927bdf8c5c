"""The proximity/overlay toolbox as a whole: registration and every adapter's description.

Each process must be usable through every protocol adapter without adapter
changes: its description renders valid OGC API, GPServer and WPS (1.0.0 and
2.0) documents, and a run through OGC API returns the expected features.
"""

from __future__ import annotations

import pytest
import shapely
from starlette.testclient import TestClient
from tests.adapters.gpserver.schemas import assert_valid
from tests.processes._fixtures_po import layer
from tests.support.schemas import assert_ogc_valid
from tests.support.xsd import assert_xsd_valid

from honua.adapters.gpserver import catalog
from honua.app import create_app
from honua.core.registry import Registry
from honua.processes import proximity_overlay
from honua.settings import Settings

IDS = sorted(proximity_overlay.__all__)


def test_proximity_overlay_registers_every_process():
    """Every process of the aggregator registers under its own id, without problems."""
    registry = Registry()
    assert registry.add_object(proximity_overlay, "test") == len(IDS)
    assert registry.problems == [] and sorted(d.id for d in registry) == IDS


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("po") / "data", workers=1,
                        worker_max_jobs=50, job_timeout_seconds=60,
                        cleanup_interval_seconds=3600,
                        process_modules=("honua.processes.proximity_overlay",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("process_id", IDS)
def test_proximity_overlay_described_by_every_adapter(client, process_id):
    """OGC API process, GP task and WPS DescribeProcess documents are valid for each process."""
    document = client.get(f"/api/processes/{process_id}").json()
    assert_ogc_valid(document, "process.yaml")
    task = client.get(f"/arcgis/rest/services/Geoprocessing/GPServer/"
                      f"{catalog.task_name(process_id)}", params={"f": "json"})
    assert task.status_code == 200
    assert_valid(task.json(), "task")
    for version in ("1.0.0", "2.0.0"):
        response = client.get("/wps", params={"service": "WPS", "request": "DescribeProcess",
                                              "version": version, "identifier": process_id})
        assert response.status_code == 200, response.text[:500]
        assert_xsd_valid(response.content)


def test_proximity_overlay_clip_through_ogc_api(client):
    """A clip request in the OGC API JSON form returns the clipped GeoJSON."""
    body = {"inputs": {
        "features": {"value": layer([shapely.box(0, 0, 2, 2)], name=["a"])},
        "clip_features": {"value": layer([shapely.box(1, 1, 3, 3)])}}}
    response = client.post("/api/processes/clip/execution", json=body)
    assert response.status_code == 200, response.text[:500]
    feature = response.json()["features"][0]
    assert shapely.geometry.shape(feature["geometry"]).area == pytest.approx(1)
    assert feature["properties"] == {"name": "a"}


def test_proximity_overlay_point_distance_table_through_ogc_api(client):
    """The distance table comes back as features without geometry."""
    body = {"inputs": {"input_features": {"value": layer([shapely.Point(0, 0)], crs=3857)},
                       "near_features": {"value": layer([shapely.Point(3, 4)], crs=3857)}}}
    response = client.post("/api/processes/point_distance/execution", json=body)
    assert response.status_code == 200, response.text[:500]
    feature = response.json()["features"][0]
    assert feature["geometry"] is None
    assert feature["properties"] == {"input_id": 0, "near_id": 0, "distance": 5.0}
