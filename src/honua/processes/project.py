"""``project``: features transformed to another coordinate system."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import SpatialReference
from honua.geo.crs import crs_name
from honua.geo.features import FeatureCollection
from honua.geo.reproject import area_of_interest, to_crs, transformer


@process(
    "project",
    title="Project",
    description=(
        "Transforms features to another coordinate system, given as an EPSG code (e.g. 3857), "
        "an OGC URN/URI or WKT. The transformation is the best one PROJ has for the data's "
        "extent (datum grids included when installed), always in longitude/easting-first "
        "order; the one used is reported as a message. Coordinates the target system cannot "
        "represent fail the request. Z values are kept unchanged (horizontal transformation "
        "only). Nothing is split at the antimeridian. Null and empty geometries and all "
        "attributes are kept."
    ),
    category="Projections",
    keywords=("project", "reproject", "transform", "coordinate system", "crs"),
    tiers=("shapely", "postgis"),
)
def project(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features to transform.")],
    output_crs: Annotated[SpatialReference, Input(
        title="Output coordinate system",
        description="EPSG code, OGC URN/URI or WKT of the target coordinate system.")],
) -> FeatureCollection:
    """Transform features to another coordinate system."""
    target = output_crs.crs
    ctx.progress(0, f"Projecting {len(features)} features to {output_crs.name}")
    if features.crs != target:
        operation = transformer(features.crs, target, area_of_interest(features.crs, features.bounds))
        ctx.message(f"Transformation from {crs_name(features.crs)}: {operation.description}")
    result = to_crs(features, target)
    ctx.progress(100, "Projected")
    return result
