"""``intersect``: the areas (or lines, points) common to every input layer."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    CLASH_NOTE,
    NULLS_NOTE,
    InvalidChoice,
)
from honua.processes._overlay_run import run_layers


@process(
    "intersect",
    title="Intersect",
    description=(
        "Computes the geometric intersection of two or more layers: an output feature for "
        "every combination of one feature from each layer that overlap, covering their common "
        "part and carrying the attributes of all of them. Layers may hold points, lines or "
        "polygons: each output piece has the lowest geometry dimension of the features it "
        "comes from (a line crossing a polygon gives the line's part inside); lower-dimension "
        "slivers (polygons that only touch) are dropped. Layers after the first are "
        "reprojected to the first's coordinate system, which is also the output's. "
        "Overlaps between features of the same layer are not resolved."
        + CLASH_NOTE.replace("second layer", "later layer") + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("intersect", "intersection", "overlay"),
    tiers=("shapely", "postgis"),
)
def intersect(
    ctx: Context,
    layers: Annotated[list[FeatureCollection], Input(
        title="Input layers", min_occurs=2,
        description="Two or more layers, intersected in the order given.")],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Intersect two or more layers."""
    return run_layers(ctx, layers, "intersection", invalid=invalid, verb="Intersecting")
