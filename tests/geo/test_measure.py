"""Ground lengths, areas and distances against pyproj.Geod and planar figures."""

import numpy as np
import pytest
import shapely
from pyproj import Geod

from honua.geo.crs import parse_crs
from honua.geo.measure import areas_m2, distances_m, lengths_m

WGS84 = parse_crs(4326)


def test_lengths_m_geodesic_equator_degree():
    line = np.array([shapely.LineString([(0, 0), (1, 0)])])
    assert lengths_m(line, WGS84)[0] == pytest.approx(111_319.49, abs=0.01)


def test_lengths_m_none_empty_and_points():
    values = lengths_m(np.array([None, shapely.LineString(), shapely.Point(1, 1)]), WGS84)
    assert np.isnan(values[0]) and values[1] == 0 and values[2] == 0


def test_areas_m2_geodesic_matches_geod():
    box = shapely.box(10, 50, 11, 51)
    expected = abs(Geod(ellps="WGS84").geometry_area_perimeter(box)[0])
    assert areas_m2(np.array([box]), WGS84)[0] == pytest.approx(expected)


def test_areas_and_lengths_planar_use_crs_units():
    square = np.array([shapely.box(0, 0, 1000, 1000)])
    feet = parse_crs(2263)  # NY Long Island, US survey feet
    assert areas_m2(square, feet)[0] == pytest.approx(1e6 * (1200 / 3937) ** 2)
    assert lengths_m(square, parse_crs(3857))[0] == pytest.approx(4000)


def test_distances_m_between_points():
    d = distances_m(np.array([shapely.Point(0, 60)]), np.array([shapely.Point(1, 60)]), WGS84)
    expected = Geod(ellps="WGS84").inv(0, 60, 1, 60)[2]
    assert d[0] == pytest.approx(expected)
