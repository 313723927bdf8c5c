"""``create_grid``: square or hexagonal cells over an extent, sized on the ground."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import Envelope, LinearUnit, SpatialReference
from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection, Field
from honua.geo.grid import grid_cells
from honua.geo.reproject import to_crs
from honua.processes._geometry_inputs import positive_meters

MAX_CELLS = 250_000


@process(
    "create_grid",
    title="Create grid",
    description=(
        "Creates a grid of square or hexagonal polygons covering an extent — an envelope, or the "
        "extent of a layer — keeping the cells that meet it. The cell size is measured on the "
        "ground: on a projected coordinate system the grid is laid out in its plane from the "
        "extent's lower-left corner; on a geographic one it is laid out in a Lambert azimuthal "
        "equal-area projection centred on the extent, so every cell has the same ground area "
        "and cells near the centre have exactly the size asked for. Squares have 'cell_size' "
        "sides; hexagons are flat-topped with 'cell_size' sides. With 'intersecting_only', only "
        "cells that intersect a feature of the layer are kept. The grid is returned in "
        "'output_crs' (default: the extent's or layer's coordinate system) with fields "
        "'cell_id' (from 0), 'row' and 'col'. A grid of more than "
        f"{MAX_CELLS:,} cells is refused before it is built."
    ),
    category="Analysis",
    keywords=("grid", "fishnet", "tessellation", "hexagon", "hexbin"),
)
def create_grid(
    ctx: Context,
    cell_size: Annotated[LinearUnit, Input(
        title="Cell size",
        description="Side of a square or of a hexagon, on the ground, with its unit (default "
                    "meters).", unit="meters")],
    extent: Annotated[Envelope | None, Input(
        title="Extent", description="The area to cover (give this or 'features').")] = None,
    features: Annotated[FeatureCollection | None, Input(
        title="Features", description="A layer whose extent to cover (give this or "
                                      "'extent').")] = None,
    shape: Annotated[Literal["square", "hexagon"], Input(
        title="Cell shape", description="Square or flat-topped hexagonal cells.")] = "square",
    intersecting_only: Annotated[bool, Input(
        title="Only cells meeting features",
        description="Keep only cells that intersect a feature of 'features'.")] = False,
    output_crs: Annotated[SpatialReference | None, Input(
        title="Output coordinate system",
        description="Coordinate system of the grid (default: the extent's or layer's).")] = None,
) -> FeatureCollection:
    """Square or hexagonal grid over an extent or a layer, sized on the ground."""
    meters = positive_meters(cell_size, "cell_size")
    area, crs = _extent(extent, features, intersecting_only)
    ctx.progress(0, f"Laying out {shape} cells of {cell_size.value:g} {cell_size.unit}")
    grid = grid_cells(area, crs, meters, shape, max_cells=MAX_CELLS)
    cells, row, col = grid.cells, grid.row, grid.col
    if intersecting_only and features is not None and len(cells):
        present = features.geometry[~shapely.is_missing(features.geometry)]
        hit = np.unique(shapely.STRtree(present).query(cells, predicate="intersects")[0])
        cells, row, col = cells[hit], row[hit], col[hit]
    ctx.progress(80, f"{len(cells)} cells")
    result = FeatureCollection(
        cells, {"cell_id": list(range(len(cells))), "row": row.tolist(), "col": col.tolist()}, crs,
        fields=(Field("cell_id", "integer"), Field("row", "integer"), Field("col", "integer")))
    if output_crs is not None:
        result = to_crs(result, output_crs.crs)
    ctx.progress(100, "Grid created")
    return result


def _extent(extent: Envelope | None, features: FeatureCollection | None,
            intersecting_only: bool) -> tuple[shapely.Geometry, CRS]:
    if (extent is None) == (features is None):
        raise InvalidParameter("give either 'extent' or 'features' (one of them)",
                               parameter="extent" if extent is None else "features")
    if intersecting_only and features is None:
        raise InvalidParameter("'intersecting_only' needs 'features'", parameter="intersecting_only")
    if extent is not None:
        return extent.polygon, extent.crs
    assert features is not None
    bounds = features.bounds
    if bounds is None:
        raise InvalidParameter("input 'features' has no geometry to take an extent from",
                               parameter="features")
    return shapely.box(*bounds), features.crs
