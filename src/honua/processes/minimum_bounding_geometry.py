"""``minimum_bounding_geometry``: envelope, rectangle, circle or hull of features or groups."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.geo.bounding import bounding, circle_diameters_m, rectangle_sides_m
from honua.geo.columns import unique_name
from honua.geo.features import FeatureCollection
from honua.processes._geometry_groups import grouped
from honua.processes._geometry_inputs import GroupFields, GroupOption


@process(
    "minimum_bounding_geometry",
    title="Minimum bounding geometry",
    description=(
        "Creates a polygon enclosing each feature, each group of features sharing field values, "
        "or all features: 'envelope' (the axis-aligned box in the layer's coordinates — on a "
        "geographic system, the longitude/latitude box), 'rectangle' (the rotated rectangle of "
        "smallest area), 'circle' (the smallest enclosing circle) or 'convex_hull'. Rectangles, "
        "circles and hulls are computed on the ground: on a geographic coordinate system in a "
        "local transverse Mercator projection around the feature or group, so a circle is "
        "round on the ground. With 'add_measures', envelopes and rectangles get 'mbg_width' and "
        "'mbg_length' (short and long side, meters on the ground) and 'mbg_orientation' "
        "(direction of the long side, degrees clockwise from north, 0-180); circles get "
        "'mbg_diameter' (meters). Names already used by input fields get a suffix (_1, _2...). "
        "A single point gives a point and collinear points a line (measures 0). Per feature, "
        "null geometries stay null; in groups they are left out."
    ),
    category="Geometry",
    keywords=("bounding", "envelope", "minimum rectangle", "enclosing circle", "convex hull"),
)
def minimum_bounding_geometry(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
    geometry_type: Annotated[Literal["envelope", "rectangle", "circle", "convex_hull"], Input(
        title="Geometry type",
        description="The bounding shape: axis-aligned envelope, rotated rectangle of "
                    "smallest area, smallest enclosing circle, or convex hull.")] = "rectangle",
    group: GroupOption = "none",
    group_fields: GroupFields = None,
    add_measures: Annotated[bool, Input(
        title="Add measures",
        description="Add width, length and orientation (envelope, rectangle) or diameter "
                    "(circle) fields, in meters on the ground.")] = False,
) -> FeatureCollection:
    """Bounding envelope, rectangle, circle or convex hull of features or groups."""
    ctx.progress(0, f"Bounding {len(features)} features")
    work = grouped(features, group, group_fields)
    shapes = bounding(work.geometry, work.crs, geometry_type)
    out = work.with_geometry(shapes)
    if add_measures and geometry_type in ("envelope", "rectangle", "circle"):
        out = _with_measures(out, work, geometry_type)
    ctx.progress(100, "Done")
    return out


def _with_measures(out: FeatureCollection, work: FeatureCollection, kind: str) -> FeatureCollection:
    if kind == "circle":
        values = {"mbg_diameter": circle_diameters_m(work.geometry, work.crs)}
    else:
        width, length, angle = rectangle_sides_m(out.geometry, out.crs)
        values = {"mbg_width": width, "mbg_length": length, "mbg_orientation": angle}
    columns = dict(out.columns)
    for name, array in values.items():
        columns[unique_name(name, columns)] = [None if np.isnan(v) else float(v) for v in array]
    return FeatureCollection(out.geometry, columns, out.crs, out.ids, out.fields)
