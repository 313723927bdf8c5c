"""Tests for honua.geo.paths: flattening lines and rings and rebuilding the same types."""

import numpy as np
import shapely

from honua.geo.paths import decompose, rebuild

MIXED = np.array([
    None, shapely.Point(1, 1), shapely.LineString([(0, 0), (1, 1)]), shapely.Polygon(),
    shapely.from_wkt("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 0), (1 0.5, 2 0.5, 2 0.8, 1 0.5)), "
                     "((20 20, 21 20, 21 21, 20 20)))"),
    shapely.from_wkt("GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 3 3), LINESTRING EMPTY)"),
    shapely.from_wkt("MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))"),
    shapely.from_wkt("LINEARRING (0 0, 1 0, 1 1, 0 0)"),
], dtype=object)


def test_decompose_rebuild_round_trip_is_identity():
    """Rebuilding unchanged coordinates gives back equal geometries of the same types."""
    paths = decompose(MIXED)
    out = rebuild(paths, paths.coords, paths.path)
    assert out[0] is None
    for before, after in zip(MIXED[1:], out[1:], strict=True):
        assert before.geom_type == after.geom_type and shapely.equals_exact(before, after)


def test_decompose_marks_rings_closed():
    """Lines are open paths, polygon rings and linear rings closed ones."""
    paths = decompose(MIXED)
    # lines and linear rings come first, then polygon rings
    assert paths.closed.tolist() == [False, False, False, False, True, True, True, True]
    assert paths.geometry_of_path.tolist() == [2, 5, 6, 6, 7, 4, 4, 4]


def test_rebuild_with_more_vertices():
    """Paths may gain vertices; each keeps its place in its geometry."""
    paths = decompose(np.array([shapely.LineString([(0, 0), (2, 0)]), shapely.box(0, 0, 1, 1)]))
    coords = np.vstack([[(0, 0), (1, 0), (2, 0)], paths.coords[2:]])
    path = np.concatenate([[0, 0, 0], paths.path[2:]])
    out = rebuild(paths, coords, path)
    assert out[0].coords[:] == [(0, 0), (1, 0), (2, 0)] and out[1].equals(shapely.box(0, 0, 1, 1))


def test_decompose_empty_array():
    """An empty array has no paths and rebuilds to an empty array."""
    paths = decompose(np.array([], dtype=object))
    assert paths.count == 0 and len(rebuild(paths, paths.coords, paths.path)) == 0
