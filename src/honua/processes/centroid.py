"""``centroid``: one point per feature — its centre on the ground, or a point inside it."""

from __future__ import annotations

from typing import Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.centroids import representative_points
from honua.geo.features import FeatureCollection
from honua.geo.validity import handle_invalid
from honua.processes._geometry_inputs import InvalidChoice


@process(
    "centroid",
    title="Feature to point",
    description=(
        "Creates one point per feature, with its attributes. 'centroid' is the centre of mass "
        "(of the area of polygons, the length of lines, the points of multipoints; a "
        "collection counts its highest dimension only), computed on the ground: on a "
        "geographic coordinate system in a local transverse Mercator projection around each "
        "feature, so that it is not skewed by the convergence of meridians. It may fall "
        "outside concave or multipart shapes. 'inside' gives a point guaranteed to lie inside "
        "the polygon or on the line (GEOS point-on-surface), in the layer's own coordinates. "
        "Features with a null geometry keep a null geometry; empty geometries give empty points."
    ),
    category="Geometry",
    keywords=("centroid", "feature to point", "point inside", "label point"),
    tiers=("shapely", "postgis"),
)
def centroid(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
    method: Annotated[Literal["centroid", "inside"], Input(
        title="Method",
        description="'centroid': true centre of mass on the ground; 'inside': a point "
                    "guaranteed to be inside the feature.")] = "centroid",
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """One point per feature: its centroid or a point inside it."""
    ctx.progress(0, f"Finding points for {len(features)} features")
    geometry = handle_invalid(features.geometry, invalid, parameter="features")
    points = representative_points(geometry, features.crs, method)
    ctx.progress(100, "Done")
    return features.with_geometry(points)
