"""``define_projection``: the coordinate system of features replaced, coordinates untouched."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context, MessageLevel
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import SpatialReference
from honua.geo.features import FeatureCollection


@process(
    "define_projection",
    title="Define projection",
    description=(
        "Declares the coordinate system the features' coordinates are in, without moving them: "
        "use it for data whose coordinate system was missing or wrong (to move data into "
        "another system, use 'project'). A warning is reported when the coordinates cannot be "
        "longitudes and latitudes but a geographic system is declared. Attributes are kept."
    ),
    category="Projections",
    keywords=("define projection", "assign crs", "set crs", "coordinate system"),
)
def define_projection(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features whose coordinate system is declared.")],
    crs: Annotated[SpatialReference, Input(
        title="Coordinate system",
        description="EPSG code, OGC URN/URI or WKT of the coordinates' real system.")],
) -> FeatureCollection:
    """Declare the coordinate system of features without moving them."""
    bounds = features.bounds
    if crs.crs.is_geographic and bounds is not None and (
            max(abs(bounds[0]), abs(bounds[2])) > 540 or max(abs(bounds[1]), abs(bounds[3])) > 90):
        ctx.message(f"The coordinates (extent {bounds}) are not longitudes and latitudes, but "
                    f"{crs.name} is geographic", MessageLevel.WARNING)
    return features.with_geometry(features.geometry, crs.crs)
