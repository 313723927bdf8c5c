"""``point_distance``: the distances between the points of two layers, as a table."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input, Output
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter
from honua.geo import units
from honua.geo.attributes import take_column
from honua.geo.crs import geod_of, meters_per_unit
from honua.geo.features import FeatureCollection, Field
from honua.geo.predicates import within_distance_pairs
from honua.processes._overlay_inputs import (
    SECOND_LAYER_NOTE,
    LinearUnitName,
    feature_ids,
    id_type,
    prepare,
)

MAX_PAIRS = 10_000_000
"""Largest full distance matrix computed without a search radius."""


@process(
    "point_distance",
    title="Point distance",
    description=(
        "Computes the distance from every input point to the near points, within the search "
        "radius when one is given, keeping at most max_count nearest per input point when "
        "given. The result is a table (features without geometry) with 'input_id' and "
        "'near_id' (feature ids, or 0-based positions when a layer has none) and 'distance' "
        "in the distance unit, ordered by input point then distance. Distances are on the "
        "ground: geodesic on geographic coordinate systems. Without a search radius the full "
        f"matrix is computed, up to {MAX_PAIRS:,} pairs. Points with a null or empty geometry "
        "have no distances; multipoints, lines and polygons are refused." + SECOND_LAYER_NOTE
    ),
    category="Proximity",
    keywords=("distance matrix", "point distance", "proximity"),
    outputs={"result": Output(FeatureCollection, title="Distance table",
                              description="input_id, near_id, distance; no geometry.",
                              geometry_types=("none",))},
)
def point_distance(
    ctx: Context,
    input_features: Annotated[FeatureCollection, Input(
        title="Input points", description="Points to measure from.", geometry_types=("Point",))],
    near_features: Annotated[FeatureCollection, Input(
        title="Near points", description="Points to measure to.", geometry_types=("Point",))],
    search_radius: Annotated[LinearUnit | None, Input(
        title="Search radius", description="Largest distance kept (default: no limit).",
        unit="meters")] = None,
    max_count: Annotated[int | None, Input(
        title="Maximum count",
        description="Keep at most this many nearest points per input point.")] = None,
    distance_unit: Annotated[LinearUnitName | None, Input(
        title="Distance unit",
        description="Unit of the distances (default: the search radius's unit, else meters).")
    ] = None,
) -> dict[str, FeatureCollection]:
    """Distances between the points of two layers."""
    if search_radius is not None and search_radius.meters < 0:
        raise InvalidParameter("input 'search_radius' must be zero or more",
                               parameter="search_radius")
    if max_count is not None and max_count < 1:
        raise InvalidParameter("input 'max_count' must be 1 or more", parameter="max_count")
    unit = distance_unit or (search_radius.unit if search_radius is not None else "meters")
    sources = _points(input_features, "input_features", None)
    targets = _points(near_features, "near_features", sources.crs)
    ctx.progress(5, f"Measuring from {len(sources)} to {len(targets)} points")
    if search_radius is not None:
        i, j, meters = within_distance_pairs(sources.geometry, targets.geometry,
                                             search_radius.meters, sources.crs)
    else:
        i, j, meters = _all_pairs(sources, targets)
    ctx.progress(80, f"{len(i)} distances")
    order = np.lexsort((j, meters, i))
    i, j, meters = i[order], j[order], meters[order]
    if max_count is not None and len(i):
        starts = np.r_[True, i[1:] != i[:-1]]
        rank = np.arange(len(i)) - np.maximum.accumulate(np.where(starts, np.arange(len(i)), 0))
        keep = rank < max_count
        i, j, meters = i[keep], j[keep], meters[keep]
    source_ids, target_ids = feature_ids(sources), feature_ids(targets)
    table = FeatureCollection(
        np.full(len(i), None, dtype=object),
        {"input_id": take_column(source_ids, i), "near_id": take_column(target_ids, j),
         "distance": (meters / units.LINEAR_UNITS[unit]).tolist()},
        sources.crs, None,
        (Field("input_id", id_type(source_ids)), Field("near_id", id_type(target_ids)),
         Field("distance", "double")))
    ctx.progress(100, "Done")
    return {"result": table}


def _points(collection: FeatureCollection, parameter: str, crs: object) -> FeatureCollection:
    """The layer in ``crs``; InvalidParameter unless every present geometry is a single point."""
    collection = prepare(collection, parameter, crs=crs)
    geometry = collection.geometry
    usable = ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)
    bad = np.flatnonzero(usable & (shapely.get_type_id(geometry) != 0))
    if len(bad):
        raise InvalidParameter(
            f"input {parameter!r}: feature {int(bad[0])} is a {geometry[bad[0]].geom_type}; "
            "point_distance takes single points only", parameter=parameter)
    return collection


def _all_pairs(sources: FeatureCollection,
               targets: FeatureCollection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (source, target) pair of usable points with its ground distance in metres."""
    a = np.flatnonzero(~shapely.is_missing(sources.geometry) & ~shapely.is_empty(sources.geometry))
    b = np.flatnonzero(~shapely.is_missing(targets.geometry) & ~shapely.is_empty(targets.geometry))
    if len(a) * len(b) > MAX_PAIRS:
        raise InvalidParameter(
            f"input 'search_radius': {len(a)} x {len(b)} points make more than {MAX_PAIRS:,} "
            "pairs; give a search radius", parameter="search_radius")
    i, j = np.repeat(a, len(b)), np.tile(b, len(a))
    xa = shapely.get_coordinates(sources.geometry[a])
    xb = shapely.get_coordinates(targets.geometry[b])
    pa, pb = np.repeat(xa, len(b), axis=0), np.tile(xb, (len(a), 1))
    if sources.crs.is_geographic:
        _, _, d = geod_of(sources.crs).inv(pa[:, 0], pa[:, 1], pb[:, 0], pb[:, 1])
        meters = np.abs(np.asarray(d, dtype=float))
    else:
        meters = np.hypot(pb[:, 0] - pa[:, 0], pb[:, 1] - pa[:, 1]) * meters_per_unit(sources.crs)
    return i, j, meters
