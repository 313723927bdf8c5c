"""A 100 m buffer of a WGS 84 point through WPS is 100 m on the ground (pyproj.Geod), whatever
the spelling of the unit of measure."""

import json

import numpy as np
import pytest
import shapely
from pyproj import Geod

from tests.adapters.wps.conftest import (
    complex_input,
    complex_text,
    execute10,
    execute20,
    input20,
    kvp,
    literal,
    point_geojson,
    post,
)

GEOD = Geod(ellps="WGS84")


def _ground_distances(polygon, lon: float, lat: float) -> np.ndarray:
    xy = shapely.get_coordinates(polygon)
    _, _, distance = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    return distance


def _polygon(geojson: str):
    return shapely.geometry.shape(json.loads(geojson)["features"][0]["geometry"])


@pytest.mark.parametrize("lat", [0.0, 60.0])
@pytest.mark.parametrize(("value", "uom"), [(100, "metre"), (0.1, "kilometre"),
                                             (328.083989501, "foot"), (100, None)])
def test_wps10_buffer_is_100_m_on_the_ground(wps, lat, value, uom):
    root = post(wps, execute10("buffer", complex_input("features", point_geojson(10.0, lat)),
                               literal("distance", value, uom)))
    assert np.all(np.abs(_ground_distances(_polygon(complex_text(root)), 10.0, lat) - 100.0) <= 0.5)


def test_wps10_kvp_with_epsg_uom_urn(wps):
    root = kvp(wps, request="Execute", version="1.0.0", identifier="buffer",
               DataInputs=f"features={point_geojson(10.0, 45.0)};"
                          "distance=100@uom=urn:ogc:def:uom:EPSG::9001")
    assert np.all(np.abs(_ground_distances(_polygon(complex_text(root)), 10.0, 45.0) - 100.0) <= 0.5)


def test_wps20_buffer_is_100_m_on_the_ground(wps):
    distance = ('<wps:Input id="distance"><wps:Data><wps:LiteralValue uom="metre">100</wps:LiteralValue>'
                "</wps:Data></wps:Input>")
    response = wps.post("/wps", content=execute20(
        "buffer", input20("features", point_geojson(10.0, 60.0)), distance, response="raw",
        outputs='<wps:Output id="result"/>'))
    assert np.all(np.abs(_ground_distances(_polygon(response.text), 10.0, 60.0) - 100.0) <= 0.5)
