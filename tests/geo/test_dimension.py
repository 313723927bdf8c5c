"""geo.dimension: parts of one dimension out of mixed results."""

from __future__ import annotations

import doctest

import numpy as np
import shapely

from honua.geo import dimension
from honua.geo.dimension import keep_dimension


def test_dimension_doctests():
    """The module's examples hold."""
    assert doctest.testmod(dimension).failed == 0


def test_dimension_nested_collections_and_multiparts():
    """Parts nested in collections and multi-geometries are found and rebuilt."""
    nested = shapely.GeometryCollection([
        shapely.MultiLineString([[(0, 0), (1, 0)], [(2, 0), (3, 0)]]),
        shapely.GeometryCollection([shapely.LineString([(5, 5), (6, 6)]), shapely.Point(9, 9)]),
    ])
    out = keep_dimension(np.array([nested, nested]), np.array([1, 0]))
    assert out[0].geom_type == "MultiLineString" and len(out[0].geoms) == 3
    assert out[1].equals(shapely.Point(9, 9))


def test_dimension_plain_geometries_of_other_dimension_emptied():
    """A line where polygons are wanted becomes an empty polygon; empties stay typed."""
    out = keep_dimension(np.array([shapely.LineString([(0, 0), (1, 1)]), shapely.Polygon(),
                                   shapely.GeometryCollection()]), 2)
    assert [g.wkt for g in out] == ["POLYGON EMPTY", "POLYGON EMPTY", "POLYGON EMPTY"]
