"""``voronoi``: Thiessen polygons around points, clipped to an extent."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import Envelope
from honua.errors import InvalidParameter
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.geo.reproject import transform_bounds
from honua.geo.tessellation import voronoi_cells
from honua.processes._overlay_inputs import prepare


@process(
    "voronoi",
    title="Voronoi (Thiessen) polygons",
    description=(
        "Creates, for each input point, the polygon of the area closer to it than to any other "
        "point, carrying the point's attributes. Cells are clipped to the extent: the one given "
        "(reprojected to the points' coordinate system if it has another), else the points' "
        "bounding box enlarged by the margin on every side. On geographic coordinate systems "
        "the cells are built in a transverse Mercator projection centred on the points, so "
        "that 'closer' means closer on the ground; their edges are densified before being "
        "projected back. Coincident points share one cell (each output gets a copy). Points "
        "with a null or empty geometry give no cell; points outside the extent give a cell "
        "clipped to it, possibly empty."
    ),
    category="Proximity",
    keywords=("voronoi", "thiessen", "proximity polygons"),
)
def voronoi(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input points", description="Points.", geometry_types=("Point",))],
    extent: Annotated[Envelope | None, Input(
        title="Extent", description="Area the cells are clipped to (default: the points' "
                                    "extent plus the margin).")] = None,
    margin_percent: Annotated[float, Input(
        title="Margin",
        description="Without an extent: the margin added on every side of the points' "
                    "bounding box, in percent of its larger side.", unit="percent")] = 10.0,
) -> FeatureCollection:
    """Thiessen polygons of points."""
    points = _single_points(features)
    if margin_percent < 0:
        raise InvalidParameter("input 'margin_percent' must be zero or more",
                               parameter="margin_percent")
    box = _extent(points, extent, margin_percent)
    ctx.progress(5, f"Building cells for {len(points)} points")
    cells = voronoi_cells(points.geometry, box, points.crs) if box is not None \
        else np.full(len(points), None, dtype=object)
    rows = np.flatnonzero(~shapely.is_missing(cells))
    ctx.progress(100, f"{len(rows)} cells")
    return join_rows(cells[rows], points.crs, [(points, rows)], keep_ids=True)


def _single_points(features: FeatureCollection) -> FeatureCollection:
    points = prepare(features, "features", kinds=("point",))
    geometry = points.geometry
    multi = np.flatnonzero(shapely.get_type_id(geometry) == 4)
    if len(multi):
        raise InvalidParameter(
            f"input 'features': feature {int(multi[0])} is a MultiPoint; voronoi takes single "
            "points (explode multipoints first)", parameter="features")
    return points


def _extent(points: FeatureCollection, extent: Envelope | None,
            margin_percent: float) -> shapely.Polygon | None:
    """The clipping box in the points' CRS (None when there is nothing to clip)."""
    if extent is not None:
        return shapely.box(*transform_bounds((extent.minx, extent.miny, extent.maxx, extent.maxy),
                                             extent.crs, points.crs))
    bounds = points.bounds
    if bounds is None:
        return None
    minx, miny, maxx, maxy = bounds
    side = max(maxx - minx, maxy - miny) or 1.0
    pad = side * margin_percent / 100.0
    return shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
