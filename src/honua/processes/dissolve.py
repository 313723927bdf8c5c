"""``dissolve``: features merged by equal field values, with statistics."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.errors import InvalidParameter
from honua.geo.attributes import join_rows
from honua.geo.columns import check_fields
from honua.geo.features import FeatureCollection
from honua.geo.grouped import union_by_group
from honua.geo.grouping import group_codes
from honua.geo.kinds import kinds_of
from honua.processes._overlay_inputs import (
    InvalidChoice,
    Statistics,
    StatisticsFields,
    check_statistics,
    prepare,
    statistic_columns,
)


@process(
    "dissolve",
    title="Dissolve",
    description=(
        "Merges features that share the values of the dissolve fields (all features when no "
        "field is given) into one feature per group, carrying the dissolve fields and the "
        "chosen statistics of the group's features (named <statistic>_<field>). Polygons are "
        "unioned (shared edges disappear); lines are unioned and merged where they meet end "
        "to end; points are gathered into multipoints. multipart=false splits every result "
        "into single-part features that repeat the group's attributes. All features must be "
        "of one geometry type (points, lines or polygons). A feature with a null geometry "
        "still counts in its group's statistics; a group with no geometry has a null one. "
        "Groups come in order of their first feature."
    ),
    category="Generalization",
    keywords=("dissolve", "aggregate", "merge", "group"),
    tiers=("shapely", "postgis"),
)
def dissolve(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to dissolve.")],
    dissolve_fields: Annotated[list[str] | None, Input(
        title="Dissolve fields",
        description="Fields whose equal values form a group (none: dissolve everything).")
    ] = None,
    statistics_fields: StatisticsFields = None,
    statistics: Statistics = None,
    multipart: Annotated[bool, Input(
        title="Multipart",
        description="Allow multipart results (true), or split them into single parts.")
    ] = True,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Dissolve features by field values."""
    fields = check_fields(features, dissolve_fields, parameter="dissolve_fields")
    stat_fields, chosen = check_statistics(features, statistics_fields, statistics)
    features = prepare(features, "features", invalid=invalid)
    kind = _single_kind(features.geometry)
    codes, first = group_codes([features.columns[f] for f in fields], len(features))
    n_groups = len(first)
    ctx.progress(5, f"Dissolving {len(features)} features into {n_groups} groups")
    merged = union_by_group(features.geometry, codes, n_groups,
                            progress=lambda done: ctx.progress(5 + 85 * done))
    if kind == "line":
        lines = ~shapely.is_missing(merged)
        merged[lines] = shapely.line_merge(merged[lines])
    keys = FeatureCollection(features.geometry, {f: features.columns[f] for f in fields}, features.crs,
                             None, tuple(x for x in features.fields if x.name in fields))
    stats = statistic_columns(features, np.arange(len(features)), codes, n_groups, stat_fields,
                              chosen, fields)
    result = join_rows(merged, features.crs, [(keys, first)], stats)
    if not multipart:
        result = _single_parts(result)
    ctx.progress(100, f"{len(result)} features")
    return result


def _single_kind(geometry: np.ndarray) -> str | None:
    """The one geometry kind of the layer; InvalidParameter when kinds are mixed."""
    kinds = {k for k in kinds_of(geometry).tolist() if k is not None}
    if len(kinds) > 1:
        raise InvalidParameter(
            "input 'features': dissolve needs features of one geometry type, these are "
            f"{', '.join(sorted(kinds))}; dissolve each type separately", parameter="features")
    return next(iter(kinds), None)


def _single_parts(collection: FeatureCollection) -> FeatureCollection:
    """One feature per part, attributes repeated; null and empty geometries kept as they are."""
    geometry = collection.geometry
    parts, owner = shapely.get_parts(geometry, return_index=True)
    missing = np.flatnonzero(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    owner = np.concatenate([owner, missing])
    parts = np.concatenate([parts, geometry[missing]])
    order = np.argsort(owner, kind="stable")
    return join_rows(parts[order], collection.crs, [(collection, owner[order])])
