"""Requests sized by vertices: the cap on every path, and the fast path only for small work."""

from __future__ import annotations

import numpy as np
import shapely

from honua.core.sizes import check_vertices, vertex_count
from honua.core.values import Geometry
from honua.errors import PayloadTooLarge
from honua.geo.features import FeatureCollection


def _ring(n: int):
    """A polygon of ``n`` + 1 vertices (a closed circle)."""
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return shapely.Polygon(np.column_stack([np.cos(angles), np.sin(angles)]))


def test_sizes_vertex_count_covers_collections_geometries_and_lists():
    collection = FeatureCollection([_ring(400), None, shapely.Point(1, 1)])
    found = vertex_count({"a": collection, "b": Geometry(shapely.Point(0, 0)),
                          "c": [collection], "d": 5})
    assert found == 2 * (401 + 1) + 1


def test_sizes_cap_refuses_with_413_naming_the_limit():
    try:
        check_vertices({"a": FeatureCollection([_ring(4000)])}, 1000)
    except PayloadTooLarge as exc:
        assert "1,000" in exc.message and exc.kind == "too-large"
    else:
        raise AssertionError("not refused")
    assert check_vertices({"a": FeatureCollection([_ring(4000)])}, 0) > 1000


def test_sizes_one_big_polygon_leaves_the_fast_path(services):
    """One feature of 200,000 vertices goes to the worker pool; ten points stay inline."""
    manager = services.manager
    definition = manager.registry.get("buffer")
    big = FeatureCollection([_ring(200_000)])
    small = FeatureCollection([shapely.Point(i, i) for i in range(10)])
    assert manager._fast(definition, {"features": small})
    assert not manager._fast(definition, {"features": big})
