"""The geometry toolbox as a whole: full descriptions, every adapter's encoder, one HTTP run."""

import orjson
import pytest
from lxml import etree
from starlette.testclient import TestClient

import honua.processes.geometry_tools as tools
from honua.adapters.gpserver import encode as gp_encode
from honua.adapters.ogcapi import encode as ogc_encode
from honua.adapters.wps import describe as wps_describe
from honua.app import build_services, create_app
from honua.core.decorator import definition_of
from honua.core.registry import discover
from honua.executors.inline import InlineExecutor
from honua.settings import Settings

DESCRIPTIONS = [definition_of(getattr(tools, name)).description for name in tools.__all__]


@pytest.mark.parametrize("description", DESCRIPTIONS, ids=lambda d: d.id)
def test_geometry_tools_fully_described(description):
    """Every process and input has a title and a description; choices list their values."""
    assert description.title and len(description.description) > 80 and description.category
    for parameter in description.inputs:
        assert parameter.title and parameter.description, f"{description.id}.{parameter.name}"
    assert [p.name for p in description.outputs] == ["result"]


def test_geometry_tools_encode_in_every_adapter():
    """The OGC API, WPS 1.0/2.0 and GPServer encoders describe every process."""
    for description in DESCRIPTIONS:
        orjson.dumps(ogc_encode.process_description(description, "http://example.org/api"))
        for parameter in description.inputs:
            orjson.dumps(gp_encode.parameter(parameter, output=False))
    for version in ("1.0.0", "2.0.0"):
        assert len(etree.tostring(wps_describe.process_descriptions(DESCRIPTIONS, version, 10.0)))


def test_geometry_tools_run_over_ogc_api(tmp_path):
    """A simplify request through OGC API - Processes returns GeoJSON with the ground answer."""
    modules = ("honua.processes.geometry_tools",)
    settings = Settings(data_dir=tmp_path / "data", process_modules=modules)
    services = build_services(settings, executor=InlineExecutor(discover(modules)))
    line = {"type": "LineString", "coordinates": [[10, 60], [10.00001, 60.001], [10, 60.002]]}
    body = {"inputs": {
        "features": {"type": "FeatureCollection",
                     "features": [{"type": "Feature", "properties": {"a": 1}, "geometry": line}]},
        "tolerance": {"value": 0.6, "unit": "meters"}}}  # the middle vertex is 0.557 m off
    with TestClient(create_app(settings, services=services)) as client:
        ids = {p["id"] for p in client.get("/api/processes").json()["processes"]}
        response = client.post("/api/processes/simplify/execution", json=body)
    assert set(tools.__all__) <= ids
    assert response.status_code == 200
    feature = response.json()["features"][0]
    assert feature["geometry"]["coordinates"] == [[10, 60], [10, 60.002]]
    assert feature["properties"] == {"a": 1}
