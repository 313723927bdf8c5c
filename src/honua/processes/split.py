"""``split``: features cut into the zones of split polygons, one output with a zone id."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import overlay
from honua.geo.attributes import field_type, join_rows, take_column
from honua.geo.columns import check_fields
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    NULLS_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    InvalidChoice,
    feature_ids,
    id_type,
    overlay_progress,
    prepare,
)


@process(
    "split",
    title="Split",
    description=(
        "Cuts input features into the zones of the split polygons. Where a desktop tool "
        "writes one output per zone, this process returns one collection in which every "
        "piece carries its zone in the field 'split_id' (renamed split_id_1, ... if the input "
        "already has that field): the value of the split field when one is given, else the "
        "split polygon's feature id, else its 0-based position. Pieces keep the input's "
        "attributes and geometry type; parts outside every split polygon are dropped; a "
        "feature in overlapping split polygons appears once per zone." + SECOND_LAYER_NOTE
        + NULLS_NOTE
    ),
    category="Overlay",
    keywords=("split", "zones", "overlay"),
)
def split(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to split.")],
    split_features: Annotated[FeatureCollection, Input(
        title="Split features", description="Polygons defining the zones.",
        geometry_types=POLYGON_TYPES)],
    split_field: Annotated[str | None, Input(
        title="Split field",
        description="Field of the split polygons naming each zone (default: their ids).")
    ] = None,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Split features into zones."""
    features = prepare(features, "features", invalid=invalid)
    zones = prepare(split_features, "split_features", kinds=("polygon",), invalid=invalid,
                    crs=features.crs)
    if split_field is not None:
        check_fields(zones, [split_field], parameter="split_field")
        labels, kind = zones.columns[split_field], field_type(zones, split_field)
    else:
        labels = feature_ids(zones)
        kind = id_type(labels)
    ctx.progress(5, f"Splitting {len(features)} features into {len(zones)} zones")
    pieces, ia, ib = overlay.intersection_pairs(features.geometry, zones.geometry,
                                                   progress=overlay_progress(ctx))
    ctx.progress(95, f"{len(pieces)} pieces")
    result = join_rows(pieces, features.crs, [(features, ia)],
                       extra={"split_id": (take_column(labels, ib), kind)})
    ctx.progress(100, "Split")
    return result
