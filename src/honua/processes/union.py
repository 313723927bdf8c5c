"""``union``: every area covered by any input layer, split where layers overlap."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    CLASH_NOTE,
    NULLS_NOTE,
    POLYGON_TYPES,
    InvalidChoice,
)
from honua.processes._overlay_run import run_layers


@process(
    "union",
    title="Union",
    description=(
        "Computes the geometric union of two or more polygon layers: the area covered by any "
        "layer, split into pieces wherever features of different layers overlap. Each piece "
        "carries the attributes of the feature of every layer it lies in; for a layer it lies "
        "outside of, those attributes are null. Layers after the first are reprojected to the "
        "first's coordinate system, which is also the output's. Overlaps between features of "
        "the same layer are not split." + CLASH_NOTE.replace("second layer", "later layer")
        + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("union", "overlay"),
    tiers=("shapely", "postgis"),
)
def union(
    ctx: Context,
    layers: Annotated[list[FeatureCollection], Input(
        title="Input layers", min_occurs=2, geometry_types=POLYGON_TYPES,
        description="Two or more polygon layers, overlaid in the order given.")],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Union two or more polygon layers."""
    return run_layers(ctx, layers, "union", kinds=("polygon",), invalid=invalid,
                      verb="Overlaying")
