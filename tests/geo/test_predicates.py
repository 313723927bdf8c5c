"""geo.predicates: related pairs and ground distances."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely
from pyproj import Geod

from honua.geo import predicates
from honua.geo.crs import parse_crs

WGS84 = parse_crs(4326)
GEOD = Geod(ellps="WGS84")


def test_predicates_doctests():
    """The module's examples hold."""
    assert doctest.testmod(predicates).failed == 0


def test_predicates_within_distance_across_antimeridian():
    """Points either side of 180 degrees are found within a ground distance."""
    il, ir, d = predicates.within_distance_pairs(
        np.array([shapely.Point(179.99, 0)]), np.array([shapely.Point(-179.99, 0)]), 3000.0, WGS84)
    assert il.tolist() == [0] and d[0] == pytest.approx(GEOD.inv(179.99, 0, -179.99, 0)[2])


def test_predicates_within_distance_near_pole():
    """Near the pole the search box spans every longitude."""
    il, _, d = predicates.within_distance_pairs(
        np.array([shapely.Point(0, 89.99)]), np.array([shapely.Point(180, 89.99)]), 3000.0, WGS84)
    assert il.tolist() == [0] and d[0] == pytest.approx(GEOD.inv(0, 89.99, 180, 89.99)[2])


def test_predicates_within_distance_per_left_distance():
    """A distance per left geometry."""
    left = shapely.points([(0, 0), (0, 0)])
    right = np.array([shapely.Point(5, 0)])
    il, _, _ = predicates.within_distance_pairs(left, right, np.array([4.0, 6.0]),
                                                parse_crs(3857))
    assert il.tolist() == [1]


def test_predicates_nearest_ties_go_to_lowest_position():
    """Equidistant candidates: the first wins."""
    il, ir, d = predicates.nearest_pairs(np.array([shapely.Point(0, 0)]),
                                         shapely.points([(0, 5), (5, 0), (0, -5)]), parse_crs(3857))
    assert ir.tolist() == [0] and d.tolist() == [5.0]


def test_predicates_nearest_missing_left_and_empty_right():
    """Missing left geometries and all-empty right layers give no pair."""
    il, _, _ = predicates.nearest_pairs(np.array([None]), shapely.points([(0, 0)]), WGS84)
    assert len(il) == 0
    il, _, _ = predicates.nearest_pairs(shapely.points([(0, 0)]), np.array([shapely.Point()]),
                                        WGS84)
    assert len(il) == 0


def test_predicates_ground_distance_polygon_to_point_geodesic():
    """Distance from a lon/lat polygon edge at 60 N to a point north of it."""
    d = predicates.ground_distances(np.array([shapely.box(10, 59, 11, 60)]),
                                    np.array([shapely.Point(10.5, 60.01)]), WGS84)
    assert d[0] == pytest.approx(GEOD.inv(10.5, 60, 10.5, 60.01)[2], rel=1e-6)


def test_predicates_unknown_predicate():
    """Only topological predicates go through related_pairs."""
    with pytest.raises(ValueError, match="predicate"):
        predicates.related_pairs(np.array([None]), np.array([None]), "near")
