"""``multiple_ring_buffer``: buffers at several distances, as nested areas or disjoint rings."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import shapely

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.errors import InvalidParameter
from honua.geo import buffer as geobuffer
from honua.geo import units
from honua.geo.attributes import join_rows
from honua.geo.features import FeatureCollection
from honua.processes._overlay_inputs import InvalidChoice, LinearUnitName, prepare


@process(
    "multiple_ring_buffer",
    title="Multiple ring buffer",
    description=(
        "Creates buffers at several distances around input features. Each output feature is "
        "one input feature's buffer at one distance, carrying the input's attributes and the "
        "distance (in the chosen unit) in the field 'distance' (renamed distance_1, ... when "
        "the input has that field). With disjoint, each ring excludes the area of the smaller "
        "distances, so rings do not overlap; with dissolve, the buffers of all features at a "
        "distance are merged into one feature (attributes other than the distance are "
        "dropped). Outputs come by distance, smallest first, then in input order. Distances "
        "are measured on the ground, geodesically on geographic coordinate systems, as in "
        "the buffer process. Features with a null geometry give no rings."
    ),
    category="Proximity",
    keywords=("buffer", "rings", "distance bands", "proximity"),
)
def multiple_ring_buffer(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Points, lines or polygons to buffer.")],
    distances: Annotated[list[float], Input(
        title="Distances", description="Buffer distances (positive, in the distance unit).")],
    distance_unit: Annotated[LinearUnitName, Input(
        title="Distance unit", description="Unit of the distances.")] = "meters",
    disjoint: Annotated[bool, Input(
        title="Disjoint rings",
        description="Cut each buffer by the next smaller one, giving rings that do not "
                    "overlap.")] = False,
    dissolve: Annotated[bool, Input(
        title="Dissolve", description="Merge the buffers of all features at each distance.")
    ] = False,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Buffer features at several distances."""
    steps = _sorted_distances(distances)
    features = prepare(features, "features", invalid=invalid)
    present = np.flatnonzero(~shapely.is_missing(features.geometry))
    geometry = features.geometry[present]
    factor = units.LINEAR_UNITS[distance_unit]
    rings, previous = [], None
    for k, distance in enumerate(steps):
        ctx.progress(100 * k / len(steps), f"Buffering at {distance:g} {distance_unit}")
        ring = geobuffer.buffer(geometry, distance * factor, features.crs)
        if dissolve:
            ring = np.array([shapely.union_all(ring)], dtype=object)
        outer = ring
        if disjoint and previous is not None:
            ring = shapely.difference(ring, previous)
        rings.append(ring)
        previous = outer
    per_ring = 1 if dissolve else len(present)
    values = np.repeat(steps, per_ring).tolist()
    shapes = np.concatenate(rings) if rings else np.empty(0, dtype=object)
    parts = [] if dissolve else [(features, np.tile(present, len(steps)))]
    ctx.progress(100, f"{len(shapes)} rings")
    return join_rows(shapes, features.crs, parts, {"distance": (values, "double")})


def _sorted_distances(distances: list[float]) -> list[float]:
    """Distinct distances, ascending; InvalidParameter for none, repeated or non-positive ones."""
    if not distances:
        raise InvalidParameter("input 'distances': give one or more distances",
                               parameter="distances")
    if any(d <= 0 for d in distances):
        raise InvalidParameter("input 'distances': every distance must be greater than zero",
                               parameter="distances")
    if len(set(distances)) != len(distances):
        raise InvalidParameter("input 'distances': a distance is repeated", parameter="distances")
    return sorted(distances)
