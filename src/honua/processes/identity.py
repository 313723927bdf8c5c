"""``identity``: features split by polygons, taking the attributes of the polygon they fall in."""

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

_IDENTITY = Pairwise("identity_features", overlay.identity,
                     "Splitting {a} features by {b} polygons", "{n} pieces", "Done")


@process(
    "identity",
    title="Identity",
    description=(
        "Splits input features by the identity polygons: the parts inside an identity polygon "
        "carry the attributes of both; the parts outside every identity polygon are kept with "
        "null identity attributes. The input's extent is unchanged (what union would add "
        "outside it is not). Points, lines and polygons keep their geometry type."
        + SECOND_LAYER_NOTE + CLASH_NOTE + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("identity", "overlay"),
)
def identity(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons.")],
    identity_features: Annotated[FeatureCollection, Input(
        title="Identity features", description="Polygons whose attributes are taken.",
        geometry_types=POLYGON_TYPES)],
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Split features by polygons, taking the polygons' attributes."""
    return run_pairwise(ctx, _IDENTITY, features, identity_features, invalid)
