"""``buffer``: polygons at a distance around features, measured on the ground."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter
from honua.geo import buffer as geobuffer
from honua.geo import units
from honua.geo.attributes import NUMERIC_TYPES, require_types, take_column
from honua.geo.columns import check_fields
from honua.geo.features import FeatureCollection
from honua.geo.grouped import union_by_group
from honua.geo.grouping import group_codes
from honua.processes._overlay_inputs import InvalidChoice, prepare
from honua.processes._steps import concatenate, in_steps


@process(
    "buffer",
    title="Buffer",
    description=(
        "Creates polygons around input features at a given distance, the same for every "
        "feature or read from a numeric field. On geographic coordinate systems (e.g. WGS 84) "
        "the distance is measured on the ground: points get geodesic circles, other features "
        "are buffered in a local transverse Mercator projection; on projected ones, in the "
        "plane of the projection. Lines can be buffered on one side only; end caps and joins "
        "can be round, flat/square and mitre/bevel. Buffers can be dissolved into one feature "
        "or one per group of field values. Features with a null geometry (or a null distance "
        "and no default distance) keep a null geometry; empty ones give empty polygons."
    ),
    version="1.1.0",
    category="Proximity",
    keywords=("buffer", "proximity", "distance"),
    feature_wise=True,
    whole_layer_when=("dissolve", "dissolve_fields"),
    tiers=("shapely", "postgis"),
)
def buffer(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to buffer.")],
    distance: Annotated[LinearUnit | None, Input(
        title="Distance",
        description="Buffer distance with its unit (default meters). Negative distances "
                    "shrink polygons. With a distance field, only its unit is used (and its "
                    "value for features whose field is null).", unit="meters")] = None,
    distance_field: Annotated[str | None, Input(
        title="Distance field",
        description="Numeric field holding each feature's distance, in the distance's unit "
                    "(meters when no distance is given).")] = None,
    dissolve: Annotated[bool, Input(
        title="Dissolve", description="Merge all buffers into one feature.")] = False,
    dissolve_fields: Annotated[list[str] | None, Input(
        title="Dissolve fields",
        description="Merge the buffers of features sharing these fields' values: one feature "
                    "per group, carrying those fields. Implies dissolve.")] = None,
    cap_style: Annotated[Literal["round", "flat", "square"], Input(
        title="End cap style",
        description="Shape of the buffer at line ends: round, flat (cut at the end) or "
                    "square (extended by the distance).")] = "round",
    join_style: Annotated[Literal["round", "mitre", "bevel"], Input(
        title="Join style", description="Shape of the buffer at line and polygon corners.")
    ] = "round",
    side: Annotated[Literal["full", "left", "right"], Input(
        title="Side",
        description="For lines: buffer both sides (full) or only the left or right side, "
                    "relative to the line's direction. Points and polygons are always "
                    "buffered on every side.")] = "full",
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Buffer features by a distance on the ground."""
    distance_m = _distances(features, distance, distance_field)
    features = prepare(features, "features", invalid=invalid)
    ctx.progress(0, f"Buffering {len(features)} features")
    dissolving = bool(dissolve or dissolve_fields)

    def step(rows: slice) -> np.ndarray:
        distances = distance_m[rows] if isinstance(distance_m, np.ndarray) else distance_m
        return geobuffer.buffer(features.geometry[rows], distances, features.crs,
                                cap_style=cap_style, join_style=join_style, side=side)

    polygons = in_steps(ctx, len(features), step, concatenate, start=0,
                        end=50 if dissolving else 95,
                        message="Buffered {done} of {total} features")
    if not dissolving:
        ctx.progress(100, "Buffered")
        return features.with_geometry(polygons)
    ctx.progress(50, "Dissolving")
    fields = check_fields(features, dissolve_fields, parameter="dissolve_fields")
    codes, first = group_codes([features.columns[f] for f in fields], len(features))
    merged = union_by_group(polygons, codes, len(first),
                            progress=lambda done: ctx.progress(50 + 45 * done, "Dissolving"))
    if not fields:
        shape = merged[0] if len(merged) and merged[0] is not None else shapely.Polygon()
        ctx.progress(100, "Dissolved")
        return FeatureCollection(np.array([shape], dtype=object), {}, features.crs)
    columns = {f: take_column(features.columns[f], first) for f in fields}
    kinds = tuple(x for x in features.fields if x.name in fields)
    ctx.progress(100, "Dissolved")
    return FeatureCollection(merged, columns, features.crs, None, kinds)


EARTH_CIRCUMFERENCE_M = 40_075_017.0


def _distances(features: FeatureCollection, distance: LinearUnit | None,
               field: str | None) -> float | np.ndarray:
    """Each feature's distance in metres (NaN: no buffer)."""
    if field is None:
        if distance is None:
            raise InvalidParameter("input 'distance': give a distance, or a distance field",
                                   parameter="distance")
        return _on_earth(distance.meters, "distance")
    check_fields(features, [field], parameter="distance_field")
    require_types(features, [field], NUMERIC_TYPES, parameter="distance_field",
                  why="a distance")
    unit = distance.unit if distance is not None else "meters"
    fallback = distance.value if distance is not None else np.nan
    values = np.array(features.columns[field], dtype=float)
    values = np.where(np.isnan(values), fallback, values)
    return _on_earth(values * units.LINEAR_UNITS[unit], "distance_field")


def _on_earth(meters: float | np.ndarray, parameter: str) -> float | np.ndarray:
    """Distances longer than the earth's circumference are a mistake (units?), not a buffer."""
    largest = np.nanmax(np.abs(meters)) if np.size(meters) else 0.0
    if largest > EARTH_CIRCUMFERENCE_M:
        raise InvalidParameter(
            f"input {parameter!r}: a buffer distance of {largest:.6g} m is longer than the "
            "earth's circumference; check the value and its unit", parameter=parameter)
    return meters
