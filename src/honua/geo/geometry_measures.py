"""Per-feature measures in chosen units: area, length, perimeter, centroid coordinates.

``geodesic`` measures lengths and areas on the ellipsoid (a projected CRS's
data is taken to its geographic system first), ``planar`` in the plane of
a projected CRS (refused on a geographic CRS, where the plane is degrees).
A measure that does not apply to a geometry's kind is ``None``: area for
points and lines, length for points and polygons, perimeter for points and
lines; collections get an area (of their polygons) only. Missing and empty
geometries get ``None`` for everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo import units
from honua.geo.centroids import representative_points
from honua.geo.crs import geodetic_of
from honua.geo.kinds import kinds_of
from honua.geo.measure import areas_m2, lengths_m
from honua.geo.reproject import transform

__all__ = ["MEASURES", "geometry_measures"]

MEASURES = ("area", "length", "perimeter", "centroid_x", "centroid_y", "inside_x", "inside_y")
_APPLIES = {"area": ("polygon", "collection"), "length": ("line",), "perimeter": ("polygon",)}


def geometry_measures(geometry: np.ndarray, crs: CRS, measures: Sequence[str], *,
                      method: Literal["geodesic", "planar"] = "geodesic",
                      length_unit: str = "meters", area_unit: str = "square_meters",
                      point_crs: CRS | None = None) -> dict[str, list[Any]]:
    """One list of values per requested measure (see the module doc).

    Centroid and inside-point coordinates are given in ``point_crs`` (default
    the data's CRS).

    >>> import shapely
    >>> from honua.geo.crs import parse_crs
    >>> sq = np.array([shapely.box(0, 0, 100, 100), None], dtype=object)
    >>> geometry_measures(sq, parse_crs(3857), ["area", "perimeter"], method="planar",
    ...                   area_unit="hectares", length_unit="km")
    {'area': [1.0, None], 'perimeter': [0.4, None]}
    """
    geometry = np.asarray(geometry, dtype=object)
    if method == "planar" and crs.is_geographic:
        raise InvalidParameter(
            "planar measures need a projected coordinate system (these features are in "
            "longitude/latitude degrees): choose 'geodesic', or project the features first",
            parameter="method")
    kinds = kinds_of(geometry)
    measured, frame = geometry, crs
    if method == "geodesic" and not crs.is_geographic:
        frame = geodetic_of(crs)
        measured = transform(geometry, crs, frame)
    out: dict[str, list[Any]] = {}
    points: dict[str, np.ndarray] = {}
    for name in measures:
        if name == "area":
            values = units.from_square_meters(1.0, area_unit) * areas_m2(measured, frame)
        elif name in ("length", "perimeter"):
            values = units.from_meters(1.0, length_unit) * lengths_m(measured, frame)
        else:
            method_of: Literal["centroid", "inside"] = (
                "centroid" if name.startswith("centroid") else "inside")
            if method_of not in points:
                points[method_of] = _points(geometry, crs, method_of, point_crs or crs)
            found = points[method_of]
            values = np.full(len(found), np.nan)
            usable = ~(shapely.is_missing(found) | shapely.is_empty(found))
            values[usable] = (shapely.get_x if name.endswith("_x") else shapely.get_y)(found[usable])
            out[name] = [None if k is None else float(v) for k, v in zip(kinds, values, strict=True)]
            continue
        applies = np.isin(kinds, _APPLIES[name])
        out[name] = [float(v) if ok else None for ok, v in zip(applies, values, strict=True)]
    return out


def _points(geometry: np.ndarray, crs: CRS, method: Literal["centroid", "inside"],
            point_crs: CRS) -> np.ndarray:
    points = representative_points(geometry, crs, method)
    return transform(points, crs, point_crs) if point_crs != crs else points
