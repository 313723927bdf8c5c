"""Tests for honua.geo.parts: single parts with sources and part numbers."""

import numpy as np
import shapely

from honua.geo.parts import single_parts


def test_single_parts_order_and_numbering():
    """Parts keep their order within each source; numbering restarts per source."""
    shapes = np.array([shapely.from_wkt("MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))"),
                       shapely.Point(5, 5)], dtype=object)
    parts, source, number = single_parts(shapes)
    assert [p.wkt for p in parts] == ["LINESTRING (0 0, 1 1)", "LINESTRING (2 2, 3 3)", "POINT (5 5)"]
    assert source.tolist() == [0, 0, 1] and number.tolist() == [0, 1, 0]


def test_single_parts_nested_collection_in_place():
    """A multipolygon inside a collection is replaced by its polygons where it stood."""
    nested = shapely.from_wkt(
        "GEOMETRYCOLLECTION (POINT (9 9), MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), "
        "((5 5, 6 5, 6 6, 5 5))), LINESTRING (0 0, 1 1))")
    parts, _, number = single_parts(np.array([nested]))
    assert [p.geom_type for p in parts] == ["Point", "Polygon", "Polygon", "LineString"]
    assert number.tolist() == [0, 1, 2, 3]


def test_single_parts_blank_geometries_kept():
    """Missing and empty geometries are one part each."""
    parts, source, _ = single_parts(np.array([None, shapely.MultiPolygon()], dtype=object))
    assert parts[0] is None and parts[1].is_empty and source.tolist() == [0, 1]
