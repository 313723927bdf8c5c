"""``snap``: vertices moved onto a second layer's vertices, ends or edges within a ground distance."""

from __future__ import annotations

from typing import Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import LinearUnit
from honua.geo import snapping
from honua.geo.features import FeatureCollection
from honua.geo.reproject import to_crs
from honua.geo.validity import handle_invalid
from honua.processes._geometry_inputs import NULLS_NOTE, InvalidChoice, positive_meters


@process(
    "snap",
    title="Snap",
    description=(
        "Moves every vertex of the input features that lies within the tolerance of the snap "
        "features onto them: 'vertex' snaps to the nearest vertex of the snap features (exact "
        "coordinates, so shared corners match bit for bit); 'end' to the nearest end point of "
        "their lines; 'edge' to the nearest point on their lines or polygon outlines, preferring "
        "a vertex when one is within the tolerance. Distances are measured on the ground "
        "(geodesic on a geographic coordinate system). Snap features in another coordinate "
        "system are reprojected to the input's first. Polygons that snapping makes invalid are "
        "repaired (make_valid); vertices are moved, never added." + NULLS_NOTE
    ),
    category="Geometry",
    keywords=("snap", "align", "vertices", "topology"),
)
def snap(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features whose vertices move.")],
    snap_features: Annotated[FeatureCollection, Input(
        title="Snap features", description="Features to snap to (reprojected to the input's "
                                           "coordinate system if needed).")],
    tolerance: Annotated[LinearUnit, Input(
        title="Tolerance",
        description="Largest distance a vertex may move, on the ground, with its unit "
                    "(default meters). Must be greater than zero.", unit="meters")],
    snap_type: Annotated[Literal["vertex", "edge", "end"], Input(
        title="Snap to",
        description="Vertices, line ends, or edges (vertices first) of the snap features.")
    ] = "vertex",
    invalid: InvalidChoice = "repair",
) -> FeatureCollection:
    """Snap vertices to a second layer within a ground tolerance."""
    meters = positive_meters(tolerance, "tolerance")
    ctx.progress(0, f"Snapping {len(features)} features to {len(snap_features)}")
    geometry = handle_invalid(features.geometry, invalid, parameter="features")
    targets = to_crs(snap_features, features.crs)
    ctx.progress(10, "Finding snap targets")
    snapped, moved = snapping.snap(geometry, targets.geometry, meters, features.crs, snap_type)
    ctx.message(f"{moved} vertices snapped")
    ctx.progress(100, "Snapped")
    return features.with_geometry(snapped)
