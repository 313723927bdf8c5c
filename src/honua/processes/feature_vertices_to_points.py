"""``feature_vertices_to_points``: points at the vertices, ends or middle of lines and polygons."""

from __future__ import annotations

from typing import Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.columns import unique_name
from honua.geo.features import FeatureCollection
from honua.geo.kinds import require_kinds
from honua.geo.vertices import vertex_points


@process(
    "feature_vertices_to_points",
    title="Feature vertices to points",
    description=(
        "Creates points at the vertices of lines and polygons, each with the attributes of its "
        "feature plus 'source_index' (position of the feature in the input, from 0) and "
        "'vertex_index' (position of the vertex in its feature, counting every part and ring "
        "in order without the closing vertex of rings; null for midpoints). Names already used "
        "by input fields get a suffix (_1, _2...). 'all': every vertex; 'start' / 'end': the "
        "first / last vertex of each feature; 'both_ends': both; 'mid': the point halfway "
        "along the line (for polygons, along the exterior ring), measured on the ground. "
        "Features with a null or empty geometry give no points."
    ),
    category="Geometry",
    keywords=("vertices", "points", "nodes", "start point", "end point", "midpoint"),
)
def feature_vertices_to_points(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Lines or polygons.",
        geometry_types=("LineString", "MultiLineString", "Polygon", "MultiPolygon"))],
    point_location: Annotated[Literal["all", "start", "end", "both_ends", "mid"], Input(
        title="Point location",
        description="Which points to create: every vertex, the start, the end, both ends, or "
                    "the midpoint of each feature.")] = "all",
) -> FeatureCollection:
    """Points at the vertices, ends or midpoint of lines and polygons."""
    require_kinds(features.geometry, ("line", "polygon"), parameter="features")
    ctx.progress(0, f"Extracting points from {len(features)} features")
    points, source, vertex = vertex_points(features.geometry, features.crs, point_location)
    taken = features.take(source)
    columns = dict(taken.columns)
    columns[unique_name("source_index", columns)] = source.tolist()
    columns[unique_name("vertex_index", columns)] = [
        None if point_location == "mid" else int(v) for v in vertex]
    ctx.progress(100, f"{len(points)} points")
    return FeatureCollection(points, columns, features.crs, None, taken.fields)
