"""Tests for honua.geo.bounding: kinds, ground measures, degenerate inputs."""

import numpy as np
import pytest
import shapely

from honua.geo.bounding import bounding, circle_diameters_m, rectangle_sides_m
from honua.geo.crs import parse_crs

MERC = parse_crs(3857)
POINTS = np.array([shapely.MultiPoint([(0, 0), (4, 0), (4, 3), (0, 3), (2, 1)]), None], dtype=object)


@pytest.mark.parametrize(("kind", "area"), [
    ("envelope", 12.0), ("rectangle", 12.0), ("convex_hull", 12.0), ("circle", np.pi * 2.5**2),
])
def test_bounding_kinds_areas(kind, area):
    """A 4 x 3 point set: box, rectangle and hull of area 12; circle of diameter 5."""
    out = bounding(POINTS, MERC, kind)
    assert out[0].area == pytest.approx(area, rel=1e-2) and out[1] is None


def test_rectangle_sides_line_and_point():
    """A line is a rectangle of width 0; a point one of size 0; None gives NaN."""
    shapes = np.array([shapely.LineString([(0, 0), (0, 7)]), shapely.Point(1, 1), None], dtype=object)
    width, length, angle = rectangle_sides_m(shapes, MERC)
    assert width[:2].tolist() == [0, 0] and length[:2].tolist() == [7, 0]
    assert angle[0] == 0 and np.isnan(width[2])


def test_circle_diameter_geographic_metres():
    """Two points 0.01 degree of latitude apart span about 1.11 km on the ground."""
    pair = np.array([shapely.MultiPoint([(10, 45), (10, 45.01)])])
    assert circle_diameters_m(pair, parse_crs(4326))[0] == pytest.approx(1111.5, abs=1.0)
