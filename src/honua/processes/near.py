"""``near``: for each feature, the nearest feature of another layer and its distance."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter
from honua.geo import units
from honua.geo.attributes import join_rows, nullable, take_column
from honua.geo.features import FeatureCollection
from honua.geo.predicates import nearest_pairs, nearest_points
from honua.processes._overlay_inputs import (
    SECOND_LAYER_NOTE,
    InvalidChoice,
    LinearUnitName,
    feature_ids,
    id_type,
    prepare,
)


@process(
    "near",
    title="Near",
    description=(
        "For each input feature, finds the nearest feature of the near layer, within the "
        "search radius when one is given, and adds 'near_fid' (the near feature's id, or its "
        "0-based position when the near layer has no ids) and 'near_dist' (the distance in "
        "the distance unit); with location, also 'near_x' and 'near_y', the closest point on "
        "the near feature (in the input's coordinates). Features with nothing in range, or "
        "with a null or empty geometry, get nulls. Distances are on the ground: geodesic "
        "between the closest points on geographic coordinate systems. Ties go to the first "
        "near feature. Existing fields are never overwritten: an added field whose name is "
        "taken gets the suffix _1 (or _2, ...)." + SECOND_LAYER_NOTE
    ),
    category="Proximity",
    keywords=("near", "nearest", "distance", "proximity"),
    tiers=("shapely", "postgis"),
)
def near(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features to find the nearest neighbour of.")],
    near_features: Annotated[FeatureCollection, Input(
        title="Near features", description="Candidate nearest features.")],
    search_radius: Annotated[LinearUnit | None, Input(
        title="Search radius", description="Largest distance searched (default: no limit).",
        unit="meters")] = None,
    distance_unit: Annotated[LinearUnitName | None, Input(
        title="Distance unit",
        description="Unit of near_dist (default: the search radius's unit, else meters).")
    ] = None,
    location: Annotated[bool, Input(
        title="Location", description="Add near_x and near_y, the closest point.")] = False,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Find the nearest feature of another layer."""
    if search_radius is not None and search_radius.meters < 0:
        raise InvalidParameter("input 'search_radius' must be zero or more",
                               parameter="search_radius")
    unit = distance_unit or (search_radius.unit if search_radius is not None else "meters")
    checked = prepare(features, "features", invalid=invalid)
    others = prepare(near_features, "near_features", invalid=invalid, crs=features.crs)
    ctx.progress(5, f"Finding the nearest of {len(others)} features for {len(checked)} features")
    il, ir, meters = nearest_pairs(checked.geometry, others.geometry, checked.crs,
                                   None if search_radius is None else search_radius.meters)
    ctx.progress(90, f"{len(il)} features have a near feature")
    n = len(features)
    match = np.full(n, -1, dtype=np.intp)
    match[il] = ir
    distance = np.full(n, np.nan)
    distance[il] = meters / units.LINEAR_UNITS[unit]
    ids = feature_ids(others)
    extra: dict[str, tuple[list[Any], str]] = {
        "near_fid": (take_column(ids, match), id_type(ids)),
        "near_dist": (nullable(distance), "double"),
    }
    if location:
        xy = np.full((n, 2), np.nan)
        xy[il] = nearest_points(checked.geometry[il], others.geometry[ir], checked.crs)[:, 2:]
        extra["near_x"] = (nullable(xy[:, 0]), "double")
        extra["near_y"] = (nullable(xy[:, 1]), "double")
    ctx.progress(100, "Done")
    return join_rows(features.geometry, features.crs, [(features, slice(None))], extra,
                     keep_ids=True)

