"""``clip``: the parts of features that fall inside clip polygons."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import overlay
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    NULLS_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    InvalidChoice,
)
from honua.processes._overlay_run import Pairwise, run_pairwise

_CLIP = Pairwise("clip_features", overlay.clip, "Clipping {a} features by {b} polygons",
                 "{n} features clipped", "Clipped")


@process(
    "clip",
    title="Clip",
    description=(
        "Cuts input features to the area covered by the clip polygons, like a cookie cutter. "
        "Each input feature gives at most one output feature (its parts inside any clip "
        "polygon, merged), with its own attributes; the clip polygons' attributes are not "
        "carried. Points, lines and polygons keep their geometry type; slivers of a lower "
        "dimension (a polygon touching the clip edge along a line) are dropped, as are "
        "features entirely outside." + SECOND_LAYER_NOTE + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("clip", "overlay", "extract"),
    tiers=("shapely", "postgis"),
)
def clip(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to clip.")],
    clip_features: Annotated[FeatureCollection, Input(
        title="Clip features", description="Polygons defining the area to keep.",
        geometry_types=POLYGON_TYPES)],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Clip features to polygons."""
    return run_pairwise(ctx, _CLIP, features, clip_features, invalid)
