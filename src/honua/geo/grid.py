"""Regular grids of square or hexagonal cells over an extent, with cell sizes on the ground.

On a projected CRS the grid is laid out in the CRS's plane, from the
extent's lower-left corner, with the cell size converted to the CRS's unit.
On a geographic CRS it is laid out in a Lambert azimuthal equal-area
projection centred on the extent (on the CRS's own datum), so every cell has
the same area on the ground and cells near the centre have the exact size
asked for; far from the centre their shape is slightly sheared. Cell corners
are transformed back exactly, so neighbouring cells still share them; edges
are straight between corners in lon/lat, and the grid starts 1 % of a cell
outside the extent so that the extent stays covered.

Square cells have ``size`` sides. Hexagons are flat-topped with ``size``
sides (so ``size`` is also the distance from centre to corner), in columns
``1.5 * size`` apart, odd columns shifted up by half a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Transformer

from honua.errors import InvalidParameter
from honua.geo.crs import meters_per_unit

__all__ = ["Grid", "grid_cells"]

GridShape = Literal["square", "hexagon"]
_SQRT3 = float(np.sqrt(3.0))


@dataclass(frozen=True)
class Grid:
    """Cells (in the extent's CRS) with their row and column numbers."""

    cells: np.ndarray
    row: np.ndarray
    col: np.ndarray


def grid_cells(extent: shapely.Geometry, crs: CRS, size_m: float, shape: GridShape = "square",
               *, max_cells: int = 250_000) -> Grid:
    """Cells of ``shape`` and ``size_m`` metres covering ``extent`` (cells meeting it are kept).

    Raises InvalidParameter, before building anything, when the grid would
    hold more than ``max_cells`` cells.

    >>> from honua.geo.crs import parse_crs
    >>> grid = grid_cells(shapely.box(0, 0, 250, 100), parse_crs(3857), 100.0)
    >>> len(grid.cells), grid.row.tolist(), grid.col.tolist()
    (3, [0, 0, 0], [0, 1, 2])
    """
    if size_m <= 0:
        raise ValueError("the cell size must be positive")
    if crs.is_geographic:
        forward, backward = _equal_area(crs, extent)
        # follow parallels and meridians of the extent (a flat extent, a point's or a
        # line's, has no edges to follow: GEOS refuses to segmentize it)
        dense = shapely.segmentize(extent, 0.1) if shapely.area(extent) > 0 else extent
        local = shapely.transform(dense, lambda c: np.column_stack(forward.transform(*c.T)))
        size = size_m
    else:
        local, size, backward = extent, size_m / meters_per_unit(crs), None
    minx, miny, maxx, maxy = shapely.bounds(local)
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        raise _too_large()
    if crs.is_geographic:
        # back in lon/lat, cell edges are straight between corners rather than straight in
        # the equal-area plane: a margin of 1 % of a cell keeps the extent covered
        pad = 0.01 * size
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    layout = _square if shape == "square" else _hexagon
    rings, row, col = layout(minx, miny, maxx, maxy, size, max_cells)
    cells = shapely.polygons(rings)
    keep = shapely.intersects(cells, local)
    if shapely.area(local) > 0:  # cells that only touch an areal extent's edge are outside it
        keep &= ~shapely.touches(cells, local)
    cells, row, col = cells[keep], row[keep], col[keep]
    if backward is not None and len(cells):
        cells = shapely.transform(cells, lambda c: np.column_stack(backward.transform(*c.T)))
        if not np.isfinite(shapely.get_coordinates(cells)).all():
            raise _too_large()
        cells = _unwrap(cells, crs, extent)
    return Grid(cells, row, col)


def _too_large() -> InvalidParameter:
    return InvalidParameter(
        "the extent is too large for one grid sized on the ground: it reaches round to the "
        "far side of the earth from its centre; split it into smaller extents",
        parameter="extent")


def _unwrap(cells: np.ndarray, crs: CRS, extent: shapely.Geometry) -> np.ndarray:
    """Longitudes kept within half a turn of the extent's centre: a cell reaching past the
    antimeridian runs past +/-180 degrees rather than wrapping round the whole map."""
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else np.pi / 180.0
    turn = 2.0 * np.pi / unit
    minx, _, maxx, _ = extent.bounds
    centre = (minx + maxx) / 2.0

    def shift(c: np.ndarray) -> np.ndarray:
        x = centre + (c[:, 0] - centre + turn / 2.0) % turn - turn / 2.0
        return np.column_stack([x, c[:, 1]])

    return shapely.transform(cells, shift)


def _check(count: int, max_cells: int) -> None:
    if count > max_cells:
        raise InvalidParameter(
            f"the grid would have about {count:,} cells, more than the limit of {max_cells:,}: "
            "use a larger cell size or a smaller extent", parameter="cell_size")


def _square(minx: float, miny: float, maxx: float, maxy: float, size: float,
            max_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nx = max(1, int(np.ceil((maxx - minx) / size)))
    ny = max(1, int(np.ceil((maxy - miny) / size)))
    _check(nx * ny, max_cells)
    row, col = np.divmod(np.arange(nx * ny), nx)
    # corners on an integer lattice: neighbours compute identical floats for shared corners
    dx, dy = np.array([0, 1, 1, 0, 0]), np.array([0, 0, 1, 1, 0])
    x = minx + (col[:, None] + dx) * size
    y = miny + (row[:, None] + dy) * size
    return np.stack([x, y], axis=-1), row, col


def _hexagon(minx: float, miny: float, maxx: float, maxy: float, size: float,
             max_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    height = _SQRT3 * size
    nx = max(1, int(np.ceil((maxx - minx) / (1.5 * size))) + 1)
    ny = max(1, int(np.ceil((maxy - miny) / height)) + 1)
    _check(nx * ny, max_cells)
    row, col = np.divmod(np.arange(nx * ny), nx)
    # corners on a lattice of half sides across and half heights up (counter-clockwise from
    # the east corner), so that neighbours compute identical floats for shared corners
    dx, dy = np.array([2, 1, -1, -2, -1, 1, 2]), np.array([0, 1, 1, 0, -1, -1, 0])
    x = minx + (3 * col[:, None] + dx) * (size / 2.0)
    y = miny + (2 * row[:, None] + col[:, None] % 2 + dy) * (height / 2.0)
    return np.stack([x, y], axis=-1), row, col


def _equal_area(crs: CRS, extent: shapely.Geometry) -> tuple[Transformer, Transformer]:
    """(to, back from) an equal-area projection centred on ``extent``, on ``crs``'s datum."""
    minx, miny, maxx, maxy = extent.bounds
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    ellipsoid = crs.ellipsoid
    shape = (f"+a={ellipsoid.semi_major_metre!r} +b={ellipsoid.semi_minor_metre!r}"
             if ellipsoid is not None else "+ellps=WGS84")
    projection = f"+proj=laea +lat_0={lat!r} +lon_0={lon!r} {shape}"
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else np.pi / 180.0
    angle = f"+xy_in={unit!r}" if abs(unit - np.pi / 180.0) > 1e-12 else "+xy_in=deg"
    forward = Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert {angle} +xy_out=rad +step {projection}")
    backward = Transformer.from_pipeline(
        f"+proj=pipeline +step +inv {projection} +step +proj=unitconvert +xy_in=rad "
        f"{angle.replace('xy_in', 'xy_out')}")
    return forward, backward
