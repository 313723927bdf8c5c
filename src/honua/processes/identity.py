"""``identity``: features split by polygons, taking the attributes of the polygon they fall in."""

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
    features = prepare(features, "features", invalid=invalid)
    other = prepare(identity_features, "identity_features", kinds=("polygon",), invalid=invalid,
                    crs=features.crs)
    ctx.progress(5, f"Splitting {len(features)} features by {len(other)} polygons")
    pieces, ia, ib = overlay.identity(features.geometry, other.geometry, progress=overlay_progress(ctx))
    ctx.progress(95, f"{len(pieces)} pieces")
    result = join_rows(pieces, features.crs, [(features, ia), (other, ib)])
    ctx.progress(100, "Done")
    return result
