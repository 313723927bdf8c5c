"""Tests for honua.geo.metric: local metric frames on geographic data."""

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from honua.geo.crs import parse_crs
from honua.geo.metric import (
    NORTH_POLAR,
    apply_locally,
    coords_from_local,
    coords_to_local,
    degrees_covering,
    local_crs,
    local_zones,
)

WGS84 = parse_crs(4326)


def test_local_zones_nearest_degree_and_poles():
    """The zone is the whole degree nearest the centre; polar beyond 80 degrees; wraps at 180."""
    geometry = np.array([shapely.Point(2.6, 48), shapely.box(179, 0, 181, 1),
                         shapely.Point(-20, -85), shapely.Point(5, 81), None], dtype=object)
    assert local_zones(geometry).tolist() == [3, -180, -1000, NORTH_POLAR, 0]


def test_coords_to_local_matches_a_crs_transformer():
    """The fast pipeline gives the same metres as a transformer built from the CRS objects."""
    xy = np.array([[10.3, 50.2], [9.7, 49.1]])
    zones = np.array([10, 10])
    reference = Transformer.from_crs(WGS84, local_crs(WGS84, 10), always_xy=True)
    np.testing.assert_allclose(coords_to_local(xy, zones, WGS84),
                               np.column_stack(reference.transform(*xy.T)), atol=1e-6)
    np.testing.assert_allclose(coords_from_local(coords_to_local(xy, zones, WGS84), zones, WGS84),
                               xy, atol=1e-12)


def test_apply_locally_distances_are_ground_metres():
    """A 1 km segment interpolated in local metres lands where pyproj.Geod says."""
    geod = Geod(ellps="WGS84")
    lon, lat, _ = geod.fwd(25.0, 65.0, 90.0, 1000.0)
    line = np.array([shapely.LineString([(25.0, 65.0), (lon, lat)])])
    half = apply_locally(lambda g: shapely.line_interpolate_point(g, 500.0), WGS84, line)[0]
    assert geod.inv(25.0, 65.0, half.x, half.y)[2] == pytest.approx(500.0, abs=0.01)


def test_apply_locally_projected_feet_scaled_to_metres():
    """On a CRS in US feet the function sees metres and the result comes back in feet."""
    line = np.array([shapely.LineString([(0, 0), (3937, 0)])])  # 1200 m
    length = apply_locally(lambda g: shapely.points(shapely.length(g), 0), parse_crs(2263), line)
    assert length[0].x == pytest.approx(3937.0)


def test_degrees_covering_grows_with_latitude():
    """The degree radius covering 1 km widens toward the poles and is 0 without data."""
    near_equator = degrees_covering(1000, np.array([shapely.Point(0, 0)]))
    at_60 = degrees_covering(1000, np.array([shapely.Point(0, 60)]))
    assert 1000 / 111_320 < near_equator < 1000 / 110_000
    assert at_60 == pytest.approx(2 * near_equator, rel=0.01)
    assert degrees_covering(1000, np.array([None])) == 0.0
