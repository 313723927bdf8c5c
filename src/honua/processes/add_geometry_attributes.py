"""``add_geometry_attributes``: area, length, perimeter and centroid coordinates as fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from honua.core.context import Context
from honua.core.decorator import process
from honua.core.parameters import Input
from honua.core.values import SpatialReference
from honua.errors import InvalidParameter
from honua.geo.columns import unique_name
from honua.geo.features import FeatureCollection, Field
from honua.geo.geometry_measures import geometry_measures
from honua.geo.units import AREAL_UNITS, LINEAR_UNITS

Measure = Literal["area", "length", "perimeter", "centroid_x", "centroid_y", "inside_x", "inside_y"]
if TYPE_CHECKING:  # choices built from the unit tables at run time; to mypy, plain strings
    LinearUnitName = str
    ArealUnitName = str
else:
    LinearUnitName = Literal[tuple(LINEAR_UNITS)]
    ArealUnitName = Literal[tuple(AREAL_UNITS)]


@process(
    "add_geometry_attributes",
    title="Add geometry attributes",
    description=(
        "Adds fields measuring each feature's geometry: 'area' (polygons), 'length' (lines), "
        "'perimeter' (polygons), 'centroid_x'/'centroid_y' (true centroid, as in 'centroid') "
        "and 'inside_x'/'inside_y' (a point guaranteed inside). 'geodesic' measures on the "
        "ellipsoid (a projected layer is measured in its geographic system); 'planar' in the "
        "plane of a projected coordinate system (refused for longitude/latitude data). A "
        "measure that does not apply to a feature's geometry type is null, and null or empty "
        "geometries get null everywhere. Fields are named after the measure; a name already "
        "used by an input field gets a suffix (_1, _2...)."
    ),
    category="Geometry",
    keywords=("area", "length", "perimeter", "centroid", "measure", "geometry attributes"),
)
def add_geometry_attributes(
    ctx: Context,
    features: Annotated[FeatureCollection, Input(
        title="Input features", description="Features of any geometry type.")],
    properties: Annotated[list[Measure], Input(
        title="Properties", description="The measures to add, one field each.")],
    length_unit: Annotated[LinearUnitName, Input(
        title="Length unit", description="Unit of length and perimeter.")] = "meters",
    area_unit: Annotated[ArealUnitName, Input(
        title="Area unit", description="Unit of area.")] = "square_meters",
    method: Annotated[Literal["geodesic", "planar"], Input(
        title="Method", description="Measure on the ellipsoid, or in the projection's plane.")
    ] = "geodesic",
    coordinate_system: Annotated[SpatialReference | None, Input(
        title="Coordinate system of x/y",
        description="Coordinate system of the centroid/inside coordinates (default: the "
                    "layer's).")] = None,
) -> FeatureCollection:
    """Add area, length, perimeter and centroid fields."""
    wanted = list(dict.fromkeys(properties))
    if not wanted:
        raise InvalidParameter("input 'properties': choose at least one measure",
                               parameter="properties")
    ctx.progress(0, f"Measuring {len(features)} features")
    values = geometry_measures(
        features.geometry, features.crs, wanted, method=method, length_unit=length_unit,
        area_unit=area_unit, point_crs=coordinate_system.crs if coordinate_system else None)
    columns = dict(features.columns)
    fields = list(features.fields)
    for name, column in values.items():
        field = unique_name(name, columns)
        columns[field] = column
        fields.append(Field(field, "double"))
    ctx.progress(100, "Measured")
    return FeatureCollection(features.geometry, columns, features.crs, features.ids, tuple(fields))
