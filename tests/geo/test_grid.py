"""Tests for honua.geo.grid: layouts, shared corners, degenerate extents, the cell cap."""

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.geo.grid import grid_cells

MERC = parse_crs(3857)


def test_grid_square_rows_and_columns():
    """Cells are numbered row by row from the lower-left corner."""
    grid = grid_cells(shapely.box(0, 0, 200, 200), MERC, 100.0)
    assert grid.row.tolist() == [0, 0, 1, 1] and grid.col.tolist() == [0, 1, 0, 1]
    assert grid.cells[3].equals(shapely.box(100, 100, 200, 200))


def test_grid_hexagon_neighbours_share_corners_exactly():
    """Adjacent hexagons share two corners bit for bit (odd columns shifted half a row)."""
    grid = grid_cells(shapely.box(0, 0, 300, 300), MERC, 100.0, "hexagon")
    first = set(grid.cells[0].exterior.coords)
    shared = [len(first & set(c.exterior.coords)) for c in grid.cells[1:]]
    assert max(shared) == 2 and shapely.union_all(grid.cells).geom_type == "Polygon"


def test_grid_geographic_corners_shared_after_back_projection():
    """On lon/lat data, neighbouring cells still share corners exactly."""
    grid = grid_cells(shapely.box(10, 60, 10.05, 60.02), parse_crs(4326), 1000.0)
    a, b = set(grid.cells[0].exterior.coords), set(grid.cells[1].exterior.coords)
    assert len(a & b) == 2


def test_grid_point_extent_gives_one_cell():
    """A zero-area extent (one point) gets the one cell holding it."""
    grid = grid_cells(shapely.Point(5, 5), MERC, 10.0)
    assert len(grid.cells) == 1 and grid.cells[0].contains(shapely.Point(5, 5)) is False
    assert grid.cells[0].intersects(shapely.Point(5, 5))


@pytest.mark.parametrize("extent", [shapely.box(10, 10, 10, 10), shapely.Point(10, 10),
                                    shapely.LineString([(10, 10), (10, 10.01)])])
def test_grid_flat_geographic_extent_is_covered(extent):
    """A zero-area extent in lon/lat (an empty bbox, a point, a meridian segment) is covered,
    not a GEOS error (schemathesis sent bbox [0, 0, 0, 0])."""
    grid = grid_cells(extent, parse_crs(4326), 100.0)
    assert len(grid.cells) >= 1 and shapely.union_all(grid.cells).covers(extent)


def test_grid_cap_is_checked_before_building():
    """A grid over the cap is refused with an estimate."""
    with pytest.raises(InvalidParameter, match="about 1,000,000 cells"):
        grid_cells(shapely.box(0, 0, 1000, 1000), MERC, 1.0, max_cells=10)
    assert np.isfinite(shapely.area(grid_cells(shapely.box(0, 0, 10, 10), MERC, 10.0).cells)).all()


def test_grid_geographic_cells_across_the_antimeridian_stay_continuous():
    """A cell reaching past 180 degrees keeps continuous longitudes instead of wrapping to -180."""
    grid = grid_cells(shapely.box(0, 0, 180, 10), parse_crs(4326), 1_000_000.0)
    widths = shapely.bounds(grid.cells)[:, 2] - shapely.bounds(grid.cells)[:, 0]
    assert widths.max() < 20 and shapely.bounds(grid.cells)[:, 2].max() > 180


@pytest.mark.parametrize("extent", [(-180, -80, 180, 80), (-170, -60, 170, 60)])
def test_grid_geographic_extent_too_large_refused(extent):
    """An extent reaching round to the far side of the earth is refused, not given null corners."""
    with pytest.raises(InvalidParameter, match="too large") as caught:
        grid_cells(shapely.box(*extent), parse_crs(4326), 1_000_000.0)
    assert caught.value.parameter == "extent"
