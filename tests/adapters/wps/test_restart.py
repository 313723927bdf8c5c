"""A WPS 1.0.0 statusLocation is served from the job store: it survives a restart of the server
(a second application on the same data folder), and a job queued before the restart runs after it."""

from starlette.testclient import TestClient

from honua.app import create_app
from tests.adapters.wps.conftest import (
    NS,
    checked,
    complex_input,
    document,
    execute10,
    literal,
    output10,
    point_geojson,
    poll,
    post,
    status_of,
    wps_settings,
)

ASYNC_FORM = document(output10("result", asReference="true"), storeExecuteResponse="true",
                      status="true", lineage="true")
REQUEST = execute10("buffer", complex_input("features", point_geojson()), literal("distance", 100, "metre"),
                    form=ASYNC_FORM)


def test_finished_job_status_location_survives_restart(tmp_path):
    settings = wps_settings(tmp_path / "data")
    with TestClient(create_app(settings), raise_server_exceptions=False) as first:
        location = post(first, REQUEST).get("statusLocation")
        before = poll(first, location)
    with TestClient(create_app(settings), raise_server_exceptions=False) as second:
        after = checked(second.get(location))
        assert status_of(after) == "ProcessSucceeded"
        assert after.find("wps:DataInputs", NS) is not None  # lineage came back too
        href = after.find("wps:ProcessOutputs/wps:Output/wps:Reference", NS).get("href")
        assert href == before.find("wps:ProcessOutputs/wps:Output/wps:Reference", NS).get("href")
        assert second.get(href).json()["type"] == "FeatureCollection"


def test_job_queued_before_restart_runs_after_it(tmp_path):
    settings = wps_settings(tmp_path / "data")
    # the first server accepts the job but stops before any worker takes it
    with TestClient(create_app(settings, start_services=False), raise_server_exceptions=False) as first:
        accepted = post(first, REQUEST)
        assert status_of(accepted) == "ProcessAccepted"
    with TestClient(create_app(settings), raise_server_exceptions=False) as second:
        done = poll(second, accepted.get("statusLocation"))
        assert status_of(done) == "ProcessSucceeded"
