"""``polygon_to_line``: polygon outlines as lines, optionally split between neighbours."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.features import FeatureCollection, Field
from honua.geo.kinds import require_kinds
from honua.geo.outlines import outlines, shared_outlines


@process(
    "polygon_to_line",
    title="Polygon to line",
    description=(
        "Converts polygons to their outlines (exterior and hole rings). Without 'identify "
        "neighbors', each polygon gives one line or multiline with the polygon's attributes; "
        "null geometries stay null. With it, outlines are cut where the neighbouring polygon "
        "changes and every piece appears once, with 'left_index' and 'right_index': the "
        "positions (from 0) of the input polygons on the left and right of the line's "
        "direction, null where there is none; polygon attributes are not carried then. Where "
        "polygons overlap, the first one counts."
    ),
    category="Geometry",
    keywords=("polygon to line", "outline", "boundary", "neighbors"),
)
def polygon_to_line(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input polygons", description="Polygons or multipolygons.",
        geometry_types=("Polygon", "MultiPolygon"))],
    identify_neighbors: Annotated[bool, Input(
        title="Identify neighbors",
        description="Split outlines between neighbouring polygons and record the polygon on "
                    "each side.")] = False,
) -> FeatureCollection:
    """Outlines of polygons as lines."""
    require_kinds(features.geometry, ("polygon",), parameter="features")
    ctx.progress(0, f"Outlining {len(features)} polygons")
    if not identify_neighbors:
        result = features.with_geometry(outlines(features.geometry))
    else:
        lines, left, right = shared_outlines(features.geometry)
        result = FeatureCollection(
            lines,
            {"left_index": [int(i) if i >= 0 else None for i in left],
             "right_index": [int(i) if i >= 0 else None for i in right]},
            features.crs, fields=(Field("left_index", "integer"), Field("right_index", "integer")))
    ctx.progress(100, "Done")
    return result
