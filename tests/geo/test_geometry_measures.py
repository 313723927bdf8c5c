"""Tests for honua.geo.geometry_measures and honua.geo.centroids."""

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.centroids import representative_points
from honua.geo.crs import parse_crs
from honua.geo.geometry_measures import geometry_measures

LOCAL_CRS = ('ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,'
             'LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]')

MERC = parse_crs(3857)


def test_measures_apply_by_kind():
    """Area and perimeter for polygons, length for lines, None otherwise."""
    shapes = np.array([shapely.box(0, 0, 2, 2), shapely.LineString([(0, 0), (3, 4)]),
                       shapely.Point(0, 0), None], dtype=object)
    out = geometry_measures(shapes, MERC, ["area", "length", "perimeter"], method="planar")
    assert out == {"area": [4.0, None, None, None], "length": [None, 5.0, None, None],
                   "perimeter": [8.0, None, None, None]}


def test_measures_planar_refused_on_geographic():
    """Planar measures in degrees are refused."""
    with pytest.raises(InvalidParameter, match="projected coordinate system"):
        geometry_measures(np.array([shapely.Point(0, 0)]), parse_crs(4326), ["area"], method="planar")


def test_measures_geodesic_on_a_local_crs_is_a_clear_error():
    """A site grid has no ellipsoid: a 400-style error naming the way out, not a crash."""
    square = np.array([shapely.box(0, 0, 100, 100)], dtype=object)
    with pytest.raises(InvalidParameter, match="not tied to the Earth.*planar"):
        geometry_measures(square, parse_crs(LOCAL_CRS), ["area"], method="geodesic")
    assert geometry_measures(square, parse_crs(LOCAL_CRS), ["area"], method="planar") == {
        "area": [10_000.0]}


def test_representative_points_methods():
    """Centroid of a square is its centre; inside points lie in the shape; None stays None."""
    shapes = np.array([shapely.box(0, 0, 2, 2), None], dtype=object)
    centre = representative_points(shapes, MERC)
    inside = representative_points(shapes, MERC, "inside")
    assert centre[0].equals(shapely.Point(1, 1)) and shapes[0].contains(inside[0])
    assert centre[1] is None and inside[1] is None
