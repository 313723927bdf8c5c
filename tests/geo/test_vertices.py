"""Tests for honua.geo.vertices: vertex numbering, ring closures, collections."""

import numpy as np
import shapely

from honua.geo.crs import parse_crs
from honua.geo.vertices import vertex_points

MERC = parse_crs(3857)


def test_vertices_skip_ring_closures_but_not_closed_lines():
    """A polygon ring's closing vertex is not repeated; a closed line keeps both ends."""
    shapes = np.array([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 0), (0, 0)])])
    _, source, vertex = vertex_points(shapes, MERC, "all")
    assert source.tolist() == [0, 0, 0, 0, 1, 1, 1] and vertex.tolist() == [0, 1, 2, 3, 0, 1, 2]


def test_vertices_nested_collections_and_holes():
    """Holes follow their shell; members of nested multiparts are counted in order."""
    holed = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))
    nested = shapely.GeometryCollection([shapely.MultiPoint([(0, 0), (1, 1)])])
    points, source, vertex = vertex_points(np.array([holed, nested, None], dtype=object), MERC)
    assert source.tolist() == [0] * 8 + [1, 1] and vertex.tolist()[-2:] == [0, 1]
    assert points[-1].equals(shapely.Point(1, 1))


def test_vertices_mid_of_polygon_is_on_its_exterior():
    """A square's midpoint lies on its exterior ring, half the perimeter from the start."""
    points, _, vertex = vertex_points(np.array([shapely.box(0, 0, 2, 2)]), MERC, "mid")
    assert points[0].equals(shapely.Point(0, 2)) and vertex.tolist() == [-1]
