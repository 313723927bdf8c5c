"""A 100 m buffer through the API is 100 m on the ground (pyproj.Geod)."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from tests.adapters.ogcapi.conftest import point_collection

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("lat", [0.0, 60.0])
def test_buffer_100_m_on_wgs84_is_100_m_on_the_ground(client, lat):
    request = {"inputs": {"features": point_collection(10.0, lat),
                          "distance": {"value": 100, "unit": "meters"}}}
    polygon = shapely.geometry.shape(
        client.post("/api/processes/buffer/execution", json=request).json()["features"][0]["geometry"])
    xy = shapely.get_coordinates(polygon)
    _, _, distance = GEOD.inv(np.full(len(xy), 10.0), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    assert np.all(np.abs(distance - 100.0) <= 0.5)


def test_buffer_in_feet_on_projected_crs_is_planar_in_crs_units(client):
    collection = point_collection(500000.0, 4000000.0)
    collection["crs"] = {"type": "name", "properties": {"name": "EPSG:32633"}}
    request = {"inputs": {"features": collection, "distance": {"value": 328.084, "unit": "feet"}}}
    result = client.post("/api/processes/buffer/execution", json=request).json()
    polygon = shapely.geometry.shape(result["features"][0]["geometry"])
    radius = shapely.get_coordinates(polygon)[:, 0].max() - 500000.0
    assert radius == pytest.approx(100.0, rel=1e-4)
    assert result["crs"]["properties"]["name"].endswith("32633")
