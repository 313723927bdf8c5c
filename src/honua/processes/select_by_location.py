"""``select_by_location``: the features that relate spatially to another layer."""

from __future__ import annotations

from typing import Annotated

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import SECOND_LAYER_NOTE, InvalidChoice, prepare
from honua.processes._relations import Predicate, SearchDistance, relate, search_meters


@process(
    "select_by_location",
    title="Select by location",
    description=(
        "Returns the input features that relate to at least one selecting feature: intersect "
        "it, lie within it, contain it, touch, cross or overlap it, lie within the search "
        "distance of it on the ground, or (nearest) are the input feature closest to it, "
        "within the search distance if one is given. The features are returned unchanged, "
        "in input order. With invert, the features that do not relate are returned instead "
        "(features with a null or empty geometry relate to nothing, so only invert returns "
        "them)." + SECOND_LAYER_NOTE
    ),
    category="Selection",
    keywords=("select", "location", "spatial query"),
    tiers=("shapely", "postgis"),
)
def select_by_location(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features to select from.")],
    selecting_features: Annotated[FeatureCollection, Input(
        title="Selecting features", description="Features the selection is relative to.")],
    predicate: Predicate = "intersects",
    search_distance: SearchDistance = None,
    invert: Annotated[bool, Input(
        title="Invert", description="Return the features that do not relate instead.")] = False,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Select features by their spatial relationship to another layer."""
    limit = search_meters(predicate, search_distance)
    checked = prepare(features, "features", invalid=invalid)
    selecting = prepare(selecting_features, "selecting_features", invalid=invalid,
                        crs=features.crs)
    ctx.progress(5, f"Relating {len(features)} features to {len(selecting)} selecting features")
    if predicate == "nearest":  # the input feature nearest to each selecting feature
        _, chosen, _ = relate(selecting, checked, predicate, limit)
    else:
        chosen, _, _ = relate(checked, selecting, predicate, limit)
    selected = np.zeros(len(features), dtype=bool)
    selected[chosen] = True
    rows = np.flatnonzero(~selected if invert else selected)
    ctx.progress(100, f"{len(rows)} features selected")
    return join_rows(features.geometry[rows], features.crs, [(features, rows)],
                     keep_ids=True)
