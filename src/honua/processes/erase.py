"""``erase``: the parts of features outside erase polygons (a difference)."""

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

_ERASE = Pairwise("erase_features", overlay.erase, "Erasing {b} polygons from {a} features",
                  "{n} features remain", "Erased")


@process(
    "erase",
    title="Erase",
    description=(
        "Removes from input features the area covered by the erase polygons (a geometric "
        "difference). Each input feature gives at most one output feature, with its own "
        "attributes; features untouched by the erase polygons pass unchanged, features "
        "entirely covered disappear. Points, lines and polygons keep their geometry type."
        + SECOND_LAYER_NOTE + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("erase", "difference", "overlay"),
    tiers=("shapely", "postgis"),
)
def erase(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to erase from.")],
    erase_features: Annotated[FeatureCollection, Input(
        title="Erase features", description="Polygons defining the area to remove.",
        geometry_types=POLYGON_TYPES)],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Erase the area of polygons from features."""
    return run_pairwise(ctx, _ERASE, features, erase_features, invalid)
