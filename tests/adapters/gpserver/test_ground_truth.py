"""Geography through the GPServer adapter, checked on the ellipsoid with pyproj.Geod."""

import json
import math

import numpy as np
import pytest
from pyproj import Geod, Transformer

from tests.adapters.gpserver.conftest import GP, point_set

GEOD = Geod(ellps="WGS84")
TO_LONLAT = Transformer.from_crs(3857, 4326, always_xy=True)


def _ring(client, lon, lat, distance, **env):
    params = {"features": json.dumps(point_set((lon, lat))), "distance": json.dumps(distance),
              "f": "json", **env}
    document = client.post(f"{GP}/Buffer/execute", data=params).json()
    value = document["results"][0]["value"]
    return np.array(value["features"][0]["geometry"]["rings"][0]), value["spatialReference"]


def _ground(lon, lat, ring_lonlat):
    n = len(ring_lonlat)
    _, _, distance = GEOD.inv(np.full(n, lon), np.full(n, lat), ring_lonlat[:, 0],
                              ring_lonlat[:, 1])
    return distance


@pytest.mark.parametrize("lat", [0.0, 52.5, 60.0])
def test_100_esri_meters_around_a_wgs84_point_is_100_m_on_the_ground(client, lat):
    ring, sr = _ring(client, 13.4, lat, {"distance": 100, "units": "esriMeters"})
    assert sr["wkid"] == 4326
    assert np.all(np.abs(_ground(13.4, lat, ring) - 100.0) <= 0.5)


def test_one_esri_mile_is_1609_m_on_the_ground(client):
    ring, _ = _ring(client, -118.15, 33.8, {"distance": 1, "units": "esriMiles"})
    assert np.all(np.abs(_ground(-118.15, 33.8, ring) - 1609.344) <= 2.0)


def test_out_sr_3857_returns_web_mercator_coordinates_of_the_same_circle(client):
    ring, sr = _ring(client, 13.4, 52.5, {"distance": 100, "units": "esriMeters"},
                     **{"env:outSR": "3857"})
    assert sr == {"wkid": 102100, "latestWkid": 3857}
    center_x, center_y = Transformer.from_crs(4326, 3857, always_xy=True).transform(13.4, 52.5)
    half_height = (ring[:, 1].max() - ring[:, 1].min()) / 2
    assert half_height == pytest.approx(100 / math.cos(math.radians(52.5)), rel=0.01)  # ~164
    assert ring[:, 0].mean() == pytest.approx(center_x, abs=5)
    lon, lat = TO_LONLAT.transform(ring[:, 0], ring[:, 1])
    assert np.all(np.abs(_ground(13.4, 52.5, np.column_stack([lon, lat])) - 100.0) <= 0.5)


def test_process_sr_3857_does_the_work_in_web_mercator(client):
    """Buffered in the Mercator plane, 100 m becomes 100 Mercator units: ~61 m on the ground at
    52.5 N; the result stays in the processing CRS when no outSR is given."""
    ring, sr = _ring(client, 13.4, 52.5, {"distance": 100, "units": "esriMeters"},
                     **{"env:processSR": "3857"})
    assert sr["latestWkid"] == 3857
    lon, lat = TO_LONLAT.transform(ring[:, 0], ring[:, 1])
    ground = _ground(13.4, 52.5, np.column_stack([lon, lat]))
    assert np.all(np.abs(ground - 100 * math.cos(math.radians(52.5))) <= 0.5)


def test_process_sr_with_out_sr_projects_the_result_back(client):
    context = json.dumps({"processSR": {"wkid": 3857}, "outSR": {"wkid": 4326}})
    ring, sr = _ring(client, 13.4, 52.5, {"distance": 100, "units": "esriMeters"},
                     context=context)
    assert sr["wkid"] == 4326
    assert np.all(np.abs(_ground(13.4, 52.5, ring) - 60.87) <= 0.5)


def test_output_shell_is_clockwise_and_closed(client):
    ring, _ = _ring(client, 0.0, 0.0, {"distance": 100, "units": "esriMeters"})
    area = 0.5 * np.sum(ring[:-1, 0] * ring[1:, 1] - ring[1:, 0] * ring[:-1, 1])
    assert area < 0 and (ring[0] == ring[-1]).all()
