"""``erase``: the parts of features outside erase polygons (a difference)."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import overlay
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    NULLS_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    InvalidChoice,
    overlay_progress,
    prepare,
)


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
    features = prepare(features, "features", invalid=invalid)
    eraser = prepare(erase_features, "erase_features", kinds=("polygon",), invalid=invalid,
                     crs=features.crs)
    ctx.progress(5, f"Erasing {len(eraser)} polygons from {len(features)} features")
    pieces, ia = overlay.erase(features.geometry, eraser.geometry, progress=overlay_progress(ctx))
    ctx.progress(95, f"{len(pieces)} features remain")
    result = join_rows(pieces, features.crs, [(features, ia)], keep_ids=True)
    ctx.progress(100, "Erased")
    return result
