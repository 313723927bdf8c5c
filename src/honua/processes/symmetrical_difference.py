"""``symmetrical_difference``: the areas covered by one of two layers but not both."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import overlay
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    CLASH_NOTE,
    NULLS_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    InvalidChoice,
    overlay_progress,
    prepare,
)


@process(
    "symmetrical_difference",
    title="Symmetrical difference",
    description=(
        "Keeps the parts of two polygon layers that do not overlap: each input feature minus "
        "the update features, and each update feature minus the input features. A piece "
        "carries the attributes of the feature it comes from; the other layer's attributes "
        "are null." + SECOND_LAYER_NOTE + CLASH_NOTE + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("symmetrical difference", "xor", "overlay"),
)
def symmetrical_difference(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Polygons.", geometry_types=POLYGON_TYPES)],
    update_features: Annotated[FeatureCollection, Input(
        title="Update features", description="Polygons.", geometry_types=POLYGON_TYPES)],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Keep the parts of two polygon layers that do not overlap."""
    features = prepare(features, "features", kinds=("polygon",), invalid=invalid)
    update = prepare(update_features, "update_features", kinds=("polygon",), invalid=invalid,
                     crs=features.crs)
    ctx.progress(5, f"Comparing {len(features)} and {len(update)} polygons")
    pieces, ia, ib = overlay.symmetric_difference(features.geometry, update.geometry,
                                                 progress=overlay_progress(ctx))
    ctx.progress(95, f"{len(pieces)} pieces")
    result = join_rows(pieces, features.crs, [(features, ia), (update, ib)])
    ctx.progress(100, "Done")
    return result
