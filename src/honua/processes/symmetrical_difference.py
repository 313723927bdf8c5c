"""``symmetrical_difference``: the areas covered by one of two layers but not both."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import overlay
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    CLASH_NOTE,
    NULLS_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    InvalidChoice,
)
from honua.processes._overlay_run import Pairwise, run_pairwise

_SYMMETRICAL_DIFFERENCE = Pairwise("update_features", overlay.symmetric_difference,
                                   "Comparing {a} and {b} polygons", "{n} pieces", "Done",
                                   first_kinds=("polygon",))


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
    return run_pairwise(ctx, _SYMMETRICAL_DIFFERENCE, features, update_features, invalid)
