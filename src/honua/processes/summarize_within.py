"""``summarize_within``: what lies inside each polygon — counts, lengths, areas, statistics."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo import units
from honua.geo.attributes import join_rows, take_column
from honua.geo.dimension import dimensions, keep_dimension
from honua.geo.features import FeatureCollection
from honua.geo.measure import areas_m2, lengths_m
from honua.geo.predicates import related_pairs
from honua.processes._overlay_inputs import (
    GROUND_NOTE,
    POLYGON_TYPES,
    SECOND_LAYER_NOTE,
    ArealUnitName,
    InvalidChoice,
    LinearUnitName,
    Statistics,
    StatisticsFields,
    check_statistics,
    prepare,
    statistic_columns,
)


@process(
    "summarize_within",
    title="Summarize within",
    description=(
        "For each polygon, counts the summary features inside it and summarises them: 'count' "
        "(points inside or on the edge; lines and polygons with a part inside), "
        "'sum_length_<unit>' (total length of the line parts inside, when the summary "
        "features include lines), 'sum_area_<unit>' (total area of the polygon parts inside, "
        "when they include polygons), and the chosen statistics of the summary features' "
        "fields (named <statistic>_<field>; a feature partly inside counts whole). Mixed "
        "geometry types are summarised together." + GROUND_NOTE + SECOND_LAYER_NOTE
        + " Polygons with a null geometry, or with nothing inside when keep_all is false, "
        "are summarised as empty or left out accordingly; added fields whose names are "
        "taken get the suffix _1 (or _2, ...)."
    ),
    category="Analysis",
    keywords=("summarize", "count", "aggregate", "within"),
    tiers=("shapely", "postgis"),
)
def summarize_within(
    ctx: Context,
    polygons: Annotated[FeatureCollection, Input(
        title="Summary polygons", description="Polygons to summarise within.",
        geometry_types=POLYGON_TYPES)],
    summary_features: Annotated[FeatureCollection, Input(
        title="Summary features", description="Points, lines or polygons to count and measure.")],
    statistics_fields: StatisticsFields = None,
    statistics: Statistics = None,
    length_unit: Annotated[LinearUnitName, Input(
        title="Length unit", description="Unit of the summed lengths.")] = "meters",
    area_unit: Annotated[ArealUnitName, Input(
        title="Area unit", description="Unit of the summed areas.")] = "square_meters",
    keep_all: Annotated[bool, Input(
        title="Keep all polygons",
        description="Keep polygons with nothing inside (count 0).")] = True,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Summarise the features inside each polygon."""
    zones = prepare(polygons, "polygons", kinds=("polygon",), invalid=invalid)
    summary = prepare(summary_features, "summary_features", invalid=invalid, crs=zones.crs)
    fields, chosen = check_statistics(summary, statistics_fields, statistics)
    ctx.progress(5, f"Summarising {len(summary)} features within {len(zones)} polygons")
    feature, zone = related_pairs(summary.geometry, zones.geometry, "intersects")
    dims = dimensions(summary.geometry)
    pieces = keep_dimension(shapely.intersection(summary.geometry[feature], zones.geometry[zone]),
                            dims[feature])
    inside = ~shapely.is_empty(pieces)
    feature, zone, pieces = feature[inside], zone[inside], pieces[inside]
    ctx.progress(60, f"{len(feature)} feature parts inside polygons")
    n = len(zones)
    counts = np.bincount(zone, minlength=n)
    extra: dict[str, tuple[list[Any], str]] = {"count": (counts.tolist(), "integer")}
    present = set(dims[~shapely.is_empty(summary.geometry)].tolist())
    if 1 in present:
        lines = dims[feature] == 1
        meters = np.bincount(zone[lines], lengths_m(pieces[lines], zones.crs), minlength=n)
        extra[f"sum_length_{length_unit}"] = (
            (meters / units.LINEAR_UNITS[length_unit]).tolist(), "double")
    if 2 in present:
        areas = dims[feature] == 2
        square_meters = np.bincount(zone[areas], areas_m2(pieces[areas], zones.crs), minlength=n)
        extra[f"sum_area_{area_unit}"] = (
            (square_meters / units.AREAL_UNITS[area_unit]).tolist(), "double")
    taken = [f.name for f in zones.fields] + list(extra)
    extra.update(statistic_columns(summary, feature, zone, n, fields, chosen, taken))
    rows: np.ndarray | slice = slice(None) if keep_all else np.flatnonzero(counts > 0)
    extra = {name: (take_column(values, rows), kind) for name, (values, kind) in extra.items()}
    ctx.progress(100, "Summarised")
    return join_rows(zones.geometry[rows], zones.crs, [(zones, rows)], extra, keep_ids=True)
