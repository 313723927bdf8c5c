"""``smooth``: corners of lines and polygons rounded within a ground tolerance."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.errors import InvalidParameter
from honua.geo import generalize
from honua.geo.features import FeatureCollection
from honua.geo.validity import handle_invalid
from honua.processes._geometry_inputs import GROUND_NOTE, NULLS_NOTE, InvalidChoice, positive_meters

MAX_ITERATIONS = 8


@process(
    "smooth",
    title="Smooth",
    description=(
        "Rounds the corners of lines and polygons by bounded Chaikin corner cutting: each pass "
        "replaces every corner by two points on its segments, at a quarter of the segment or at "
        "the pass's reach if shorter; the reach is half the tolerance in the first pass and "
        "halves again in each following pass. The smoothed curve therefore begins less than "
        "'tolerance' before each original corner, long straight stretches stay straight, and "
        "no point moves farther than the tolerance. Line ends stay fixed; each pass doubles "
        "the number of vertices. A polygon that becomes invalid (very narrow parts) is "
        "repaired. Points are returned unchanged." + GROUND_NOTE + NULLS_NOTE
    ),
    category="Generalization",
    keywords=("smooth", "chaikin", "generalize", "curves"),
)
def smooth(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Lines or polygons to smooth (any geometry type).")],
    tolerance: Annotated[LinearUnit, Input(
        title="Smoothing tolerance",
        description="How far along the segments from each corner the rounding may reach, on "
                    "the ground, with its unit (default meters). Must be greater than zero.",
        unit="meters")],
    iterations: Annotated[int, Input(
        title="Iterations",
        description=f"Number of corner-cutting passes, 1 to {MAX_ITERATIONS}: more passes give "
                    "rounder curves and more vertices.")] = 3,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Round corners of lines and polygons within a ground tolerance."""
    meters = positive_meters(tolerance, "tolerance")
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise InvalidParameter(
            f"input 'iterations' must be between 1 and {MAX_ITERATIONS}, got {iterations}",
            parameter="iterations")
    ctx.progress(0, f"Smoothing {len(features)} features")
    geometry = handle_invalid(features.geometry, invalid, parameter="features")
    smoothed = generalize.smooth(geometry, meters, features.crs, iterations=iterations)
    ctx.progress(100, "Smoothed")
    return features.with_geometry(smoothed)
