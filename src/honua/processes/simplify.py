"""``simplify``: fewer vertices, within a tolerance measured on the ground."""

from __future__ import annotations

from typing import Annotated

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.geo import generalize
from honua.geo.features import FeatureCollection
from honua.geo.validity import handle_invalid
from honua.processes._geometry_inputs import GROUND_NOTE, NULLS_NOTE, InvalidChoice, positive_meters


@process(
    "simplify",
    title="Simplify",
    description=(
        "Removes vertices from lines and polygons with the Douglas-Peucker algorithm: the "
        "simplified shape stays within the tolerance of every original vertex. With 'preserve "
        "topology' each result stays valid (rings never cross, holes stay inside, polygons "
        "never vanish); without it, small polygons may collapse to empty and rings may cross. "
        "Neighbouring features are simplified independently, so shared boundaries may no "
        "longer match exactly. Points and multipoints are returned unchanged." + GROUND_NOTE
        + NULLS_NOTE
    ),
    category="Generalization",
    keywords=("simplify", "generalize", "douglas-peucker", "vertices"),
    tiers=("shapely", "postgis"),
)
def simplify(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Lines or polygons to simplify (any geometry type).")],
    tolerance: Annotated[LinearUnit, Input(
        title="Tolerance",
        description="Largest distance on the ground between the simplified shape and an original "
                    "vertex, with its unit (default meters). Must be greater than zero.",
        unit="meters")],
    preserve_topology: Annotated[bool, Input(
        title="Preserve topology",
        description="Keep every result valid and non-empty (slower).")] = True,
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Simplify lines and polygons within a ground tolerance."""
    meters = positive_meters(tolerance, "tolerance")
    ctx.progress(0, f"Simplifying {len(features)} features within {tolerance.value:g} {tolerance.unit}")
    geometry = handle_invalid(features.geometry, invalid, parameter="features")
    simplified = generalize.simplify(geometry, meters, features.crs,
                                     preserve_topology=preserve_topology)
    ctx.progress(100, "Simplified")
    return features.with_geometry(simplified)
