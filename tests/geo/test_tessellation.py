"""geo.tessellation: Voronoi cells and Delaunay triangles."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

from honua.geo import tessellation
from honua.geo.crs import parse_crs


def test_tessellation_doctests():
    """The module's examples hold."""
    assert doctest.testmod(tessellation).failed == 0


def test_tessellation_cells_tile_the_extent():
    """Cells of random points cover the extent once."""
    rng = np.random.default_rng(1)
    points = shapely.points(rng.uniform(0, 100, (50, 2)))
    extent = shapely.box(-10, -10, 110, 110)
    cells = tessellation.voronoi_cells(points, extent, parse_crs(3857))
    assert sum(c.area for c in cells) == pytest.approx(extent.area)
    assert all(c.contains(p) for c, p in zip(cells, points, strict=True))


def test_tessellation_geographic_cells_contain_their_points():
    """On lon/lat each cell holds its own point and the cells tile the extent."""
    rng = np.random.default_rng(2)
    points = shapely.points(np.column_stack([rng.uniform(5, 15, 30), rng.uniform(55, 65, 30)]))
    extent = shapely.box(4, 54, 16, 66)
    cells = tessellation.voronoi_cells(points, extent, parse_crs(4326))
    assert all(c.contains(p) for c, p in zip(cells, points, strict=True))
    assert sum(c.area for c in cells) == pytest.approx(extent.area, rel=1e-6)


def test_tessellation_missing_points_have_no_cell_or_vertex():
    """None and empty points are skipped."""
    points = np.array([None, shapely.Point(), shapely.Point(0, 0), shapely.Point(1, 0),
                       shapely.Point(0, 1)])
    cells = tessellation.voronoi_cells(points, shapely.box(-1, -1, 2, 2), parse_crs(3857))
    assert cells[0] is None and cells[1] is None
    triangles, nodes = tessellation.delaunay_triangles(points, parse_crs(3857))
    assert sorted(nodes[0].tolist()) == [2, 3, 4]
