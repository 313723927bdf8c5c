"""``densify``: vertices added so that no segment is longer than a ground distance."""

from __future__ import annotations

from typing import Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.geo import generalize
from honua.geo.features import FeatureCollection
from honua.processes._geometry_inputs import NULLS_NOTE, positive_meters


@process(
    "densify",
    title="Densify",
    description=(
        "Adds vertices to lines and polygon rings so that no segment is longer than the given "
        "distance on the ground. 'geodesic' places the new vertices on the geodesic (the "
        "shortest path on the ellipsoid) between the original ones, so the densified line "
        "follows the true ground path when it is later projected; 'planar' places them on the "
        "straight segment in the coordinate system's own plane. On a geographic coordinate "
        "system segment lengths are always geodesic; on a projected one, 'geodesic' goes "
        "through the CRS's geographic system and back. Original vertices are kept; points are "
        "returned unchanged." + NULLS_NOTE
    ),
    category="Generalization",
    keywords=("densify", "segmentize", "geodesic", "vertices"),
)
def densify(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Lines or polygons to densify (any geometry type).")],
    max_segment_length: Annotated[LinearUnit, Input(
        title="Maximum segment length",
        description="Longest segment allowed on the ground, with its unit (default meters). "
                    "Must be greater than zero.", unit="meters")],
    method: Annotated[Literal["geodesic", "planar"], Input(
        title="Method",
        description="Where new vertices go: on the geodesic, or on the straight segment in "
                    "the coordinate system's plane.")] = "geodesic",
) -> FeatureCollection:
    """Add vertices so that segments are no longer than a ground distance."""
    meters = positive_meters(max_segment_length, "max_segment_length")
    ctx.progress(0, f"Densifying {len(features)} features")
    dense = generalize.densify(features.geometry, meters, features.crs, method=method)
    ctx.progress(100, "Densified")
    return features.with_geometry(dense)
