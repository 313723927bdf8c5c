"""``convex_hull``: the smallest convex polygon around each feature, each group, or all."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.bounding import bounding
from honua.geo.features import FeatureCollection
from honua.processes._geometry_groups import grouped
from honua.processes._geometry_inputs import GroupFields, GroupOption


@process(
    "convex_hull",
    title="Convex hull",
    description=(
        "Creates the smallest convex polygon enclosing each feature, each group of features "
        "sharing field values, or all features together. On a geographic coordinate system the "
        "hull is found in a local transverse Mercator projection around the feature or group "
        "(convex on the ground); its corners are always exact input vertices. A single point "
        "gives a point and collinear points give a line. Per feature, null geometries stay "
        "null and empty ones give empty results; in groups they are left out."
    ),
    category="Geometry",
    keywords=("convex hull", "hull", "bounding"),
    tiers=("shapely", "postgis"),
)
def convex_hull(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
    group: GroupOption = "none",
    group_fields: GroupFields = None,
) -> FeatureCollection:
    """Convex hull of each feature, each group, or all features."""
    ctx.progress(0, f"Hulls of {len(features)} features")
    work = grouped(features, group, group_fields)
    hulls = bounding(work.geometry, work.crs, "convex_hull")
    ctx.progress(100, "Done")
    return work.with_geometry(hulls)
