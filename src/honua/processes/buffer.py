"""``buffer``: polygons at a distance around features, measured on the ground."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.geo import buffer as geobuffer
from honua.geo.features import FeatureCollection


@process(
    "buffer",
    title="Buffer",
    description=(
        "Creates polygons around input features at a given distance. On geographic "
        "coordinate systems (e.g. WGS 84) the distance is measured on the ground "
        "(geodesically); on projected ones, in the plane of the projection."
    ),
    version="1.0.0",
    category="Proximity",
    keywords=("buffer", "proximity", "distance"),
)
def buffer(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to buffer.")],
    distance: Annotated[LinearUnit, Input(
        title="Distance",
        description="Buffer distance with its unit (default meters). Negative distances "
                    "shrink polygons.", unit="meters")],
    dissolve: Annotated[bool, Input(
        title="Dissolve", description="Merge all buffers into one feature.")] = False,
) -> FeatureCollection:
    """Buffer features by a distance on the ground."""
    ctx.progress(0, f"Buffering {len(features)} features by {distance.value:g} {distance.unit}")
    polygons = geobuffer.buffer(features.geometry, distance.meters, features.crs)
    if dissolve:
        present = polygons[~shapely.is_missing(polygons)]
        merged = shapely.union_all(present) if len(present) else shapely.Polygon()
        ctx.progress(100, "Dissolved")
        return FeatureCollection(np.array([merged], dtype=object), {}, features.crs)
    ctx.progress(100, "Buffered")
    return features.with_geometry(polygons)
