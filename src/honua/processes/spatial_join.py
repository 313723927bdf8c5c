"""``spatial_join``: attributes of one layer joined to another by their spatial relationship."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import units
from honua.geo.attributes import join_rows, nullable, take_column
from honua.geo.columns import check_fields
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import (
    SECOND_LAYER_NOTE,
    InvalidChoice,
    Statistics,
    StatisticsFields,
    check_statistics,
    feature_ids,
    id_type,
    prepare,
    statistic_columns,
)
from honua.processes._relations import Predicate, SearchDistance, relate, search_meters
from honua.processes._steps import in_steps


@process(
    "spatial_join",
    title="Spatial join",
    description=(
        "Joins the attributes of the join features to the target features they relate to "
        "(intersects, within, contains, touches, crosses, overlaps, within a distance, or "
        "nearest). one_to_one: one output per target feature with 'join_count' (number of "
        "matches), the join fields of its first match (the closest for the distance "
        "relationships, else the first in the join layer's order) and the chosen statistics "
        "over all its matches. one_to_many: one output per matching pair, with 'target_fid' "
        "and 'join_fid' (feature ids, or 0-based positions when the layers have none). "
        "With within_distance or nearest, 'join_distance' holds the ground distance in the "
        "search distance's unit (meters by default). Outputs keep the target geometry. "
        "Target features without a match are kept (with null join attributes) unless "
        "keep_all is false; target features with a null geometry match nothing."
        + SECOND_LAYER_NOTE + " A join field or added field whose name is already taken gets "
        "the suffix _1 (or _2, ...)."
    ),
    category="Overlay",
    keywords=("spatial join", "join", "nearest", "overlay"),
    tiers=("shapely", "postgis"),
)
def spatial_join(
    ctx: Context,
    target_features: Annotated[FeatureCollection, Input(
        title="Target features", description="Features that receive the attributes.")],
    join_features: Annotated[FeatureCollection, Input(
        title="Join features", description="Features whose attributes are joined.")],
    predicate: Predicate = "intersects",
    search_distance: SearchDistance = None,
    join_type: Annotated[Literal["one_to_one", "one_to_many"], Input(
        title="Join type",
        description="one_to_one: one output per target feature, matches summarised; "
                    "one_to_many: one output per matching pair.")] = "one_to_one",
    keep_all: Annotated[bool, Input(
        title="Keep all target features",
        description="Keep target features that match nothing (with null join attributes).")
    ] = True,
    join_fields: Annotated[list[str] | None, Input(
        title="Join fields", description="Join-layer fields to carry (default: all).")] = None,
    statistics_fields: StatisticsFields = None,
    statistics: Statistics = None,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Join attributes by spatial relationship."""
    limit = search_meters(predicate, search_distance)
    target = prepare(target_features, "target_features", invalid=invalid)
    joined = prepare(join_features, "join_features", invalid=invalid, crs=target.crs)
    carried = _carried(joined, join_fields)
    fields, chosen = check_statistics(joined, statistics_fields, statistics)
    ctx.progress(5, f"Relating {len(target)} target and {len(joined)} join features")
    it, ij, meters = _relate_in_steps(ctx, target, joined, predicate, limit)
    ctx.progress(80, f"{len(it)} matches")
    unit = search_distance.unit if search_distance is not None else "meters"
    distance = None if meters is None else meters / units.LINEAR_UNITS[unit]
    if join_type == "one_to_many":
        result = _one_to_many(target, carried, it, ij, distance, keep_all)
    else:
        result = _one_to_one(target, carried, it, ij, distance, keep_all, fields, chosen, joined)
    ctx.progress(100, "Joined")
    return result


def _relate_in_steps(ctx: Context, target: FeatureCollection, joined: FeatureCollection,
                     predicate: str, limit: float | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``relate`` over chunks of the target rows (pairs stay in target order), reporting
    5-80 % as they finish."""
    Pairs = tuple[np.ndarray, np.ndarray, np.ndarray | None]

    def step(rows: slice) -> Pairs:
        il, ir, meters = relate(target.take(np.arange(rows.start, rows.stop)), joined,
                                predicate, limit)
        return il + rows.start, ir, meters

    def join(parts: list[Pairs]) -> Pairs:
        if len(parts) == 1:
            return parts[0]
        meters = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                meters)

    return in_steps(ctx, len(target), step, join, start=5, end=80,
                    message="Related {done} of {total} target features")


def _carried(joined: FeatureCollection, names: list[str] | None) -> FeatureCollection:
    """The join layer restricted to the fields to carry (none named: all)."""
    if not names:
        return joined
    names = check_fields(joined, names, parameter="join_fields")
    kept = tuple(f for f in joined.fields if f.name in names)
    return FeatureCollection(joined.geometry, {f.name: joined.columns[f.name] for f in kept},
                             joined.crs, joined.ids, kept)


def _one_to_many(target: FeatureCollection, joined: FeatureCollection, it: np.ndarray,
                 ij: np.ndarray, distance: np.ndarray | None, keep_all: bool) -> FeatureCollection:
    if keep_all:
        alone = np.setdiff1d(np.arange(len(target)), it)
        it = np.concatenate([it, alone])
        ij = np.concatenate([ij, np.full(len(alone), -1, dtype=np.intp)])
        if distance is not None:
            distance = np.concatenate([distance, np.full(len(alone), np.nan)])
        order = np.argsort(it, kind="stable")
        it, ij = it[order], ij[order]
        distance = None if distance is None else distance[order]
    target_ids, join_ids = feature_ids(target), feature_ids(joined)
    extra: dict[str, tuple[list[Any], str]] = {
        "target_fid": (take_column(target_ids, it), id_type(target_ids)),
        "join_fid": (take_column(join_ids, ij), id_type(join_ids)),
    }
    if distance is not None:
        extra["join_distance"] = (nullable(distance), "double")
    return join_rows(target.geometry[it], target.crs, [(target, it), (joined, ij)], extra)


def _one_to_one(target: FeatureCollection, joined: FeatureCollection, it: np.ndarray,
                ij: np.ndarray, distance: np.ndarray | None, keep_all: bool,
                fields: list[str], chosen: list[str], source: FeatureCollection,
                ) -> FeatureCollection:
    n = len(target)
    counts = np.bincount(it, minlength=n)
    first = np.full(n, -1, dtype=np.intp)
    nearest = np.full(n, np.nan)
    if len(it):
        starts = np.flatnonzero(np.r_[True, it[1:] != it[:-1]])
        first[it[starts]] = ij[starts]
        if distance is not None:
            nearest[it[starts]] = distance[starts]
    rows: np.ndarray | slice = slice(None) if keep_all else np.flatnonzero(counts > 0)
    extra: dict[str, tuple[list[Any], str]] = {"join_count": (counts[rows].tolist(), "integer")}
    if distance is not None:
        extra["join_distance"] = (nullable(nearest[rows]), "double")
    taken = [f.name for f in target.fields] + [f.name for f in joined.fields] + list(extra)
    stats = statistic_columns(source, ij, it, n, fields, chosen, taken)
    extra.update({name: (take_column(values, rows), kind)
                  for name, (values, kind) in stats.items()})
    return join_rows(target.geometry[rows], target.crs, [(target, rows), (joined, first[rows])],
                     extra, keep_ids=True)

