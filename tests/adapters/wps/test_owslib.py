"""OWSLib's WebProcessingService, unchanged, against a live server: capabilities, descriptions,
sync execution with a GeoJSON complex input and a literal, async execution followed with
monitorExecution, and reading outputs embedded and by reference."""

import json

import numpy as np
import pytest
import shapely
from owslib.wps import ASYNC, SYNC, ComplexDataInput, WebProcessingService, monitorExecution
from pyproj import Geod

from tests.adapters.wps.conftest import point_geojson

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def service(wps_live):
    return WebProcessingService(f"{wps_live}/wps", version="1.0.0", timeout=30)


def _inputs():
    return [("features", ComplexDataInput(point_geojson(10.0, 50.0), mimeType="application/geo+json")),
            ("distance", "100")]


def _radius_m(geojson) -> np.ndarray:
    polygon = shapely.geometry.shape(json.loads(geojson)["features"][0]["geometry"])
    xy = shapely.get_coordinates(polygon)
    return GEOD.inv(np.full(len(xy), 10.0), np.full(len(xy), 50.0), xy[:, 0], xy[:, 1])[2]


def test_owslib_reads_capabilities(service):
    assert service.identification.title == "Honua geoprocessing server"
    assert {"buffer", "wps_echo", "wps_slow"} <= {p.identifier for p in service.processes}
    assert {o.name for o in service.operations} == {"GetCapabilities", "DescribeProcess", "Execute"}


def test_owslib_describes_a_process(service):
    process = service.describeprocess("buffer")
    assert process.storeSupported and process.statusSupported
    inputs = {i.identifier: i for i in process.dataInputs}
    assert inputs["features"].dataType == "ComplexData"
    assert inputs["features"].defaultValue.mimeType == "application/geo+json"
    assert "application/gml+xml; version=3.2" in {v.mimeType for v in inputs["features"].supportedValues}
    assert inputs["distance"].dataType == "double" and inputs["distance"].minOccurs == 0
    assert process.processOutputs[0].identifier == "result"


def test_owslib_executes_synchronously(service):
    execution = service.execute("buffer", _inputs(), output=[("result", False, "application/geo+json")],
                                mode=SYNC)
    assert execution.isSucceeded(), execution.errors
    assert np.all(np.abs(_radius_m(execution.processOutputs[0].data[0]) - 100) < 0.5)


def test_owslib_executes_asynchronously_and_fetches_a_reference(service, tmp_path):
    execution = service.execute("buffer", _inputs(), output=[("result", True, "application/geo+json")],
                                mode=ASYNC)
    assert execution.statusLocation and execution.status in (
        "ProcessAccepted", "ProcessStarted", "ProcessSucceeded")
    monitorExecution(execution, sleepSecs=1)
    assert execution.isSucceeded(), [e.text for e in execution.errors]
    output = execution.processOutputs[0]
    assert output.reference and output.mimeType == "application/geo+json"
    assert np.all(np.abs(_radius_m(output.retrieveData()) - 100) < 0.5)
    target = tmp_path / "buffer.geojson"
    execution.getOutput(str(target))
    assert json.loads(target.read_text())["type"] == "FeatureCollection"


def test_owslib_sees_a_failed_job(service):
    execution = service.execute("wps_fail", [], output=[("result", False)], mode=ASYNC)
    monitorExecution(execution, sleepSecs=1)
    # OWSLib reports a ProcessFailed that carries an ExceptionReport as status "Exception"
    assert execution.isComplete() and not execution.isSucceeded()
    assert execution.errors[0].code == "NoApplicableCode" and "crashed" in execution.errors[0].text
