"""Lengths, areas and distances on the ground, vectorised.

On a geographic CRS the figures are geodesic on the CRS's ellipsoid
(``pyproj.Geod``); on a projected CRS they are planar, converted to metres
with the CRS's unit. Missing geometries give NaN, empty ones 0.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.crs import geod_of, meters_per_unit


def lengths_m(geometry: np.ndarray, crs: CRS) -> np.ndarray:
    """Length of each geometry in metres (perimeter for polygons)."""
    geometry = np.asarray(geometry, dtype=object)
    out = np.full(geometry.shape, np.nan)
    present = ~shapely.is_missing(geometry)
    if not crs.is_geographic:
        out[present] = shapely.length(geometry[present]) * meters_per_unit(crs)
        return out
    geod = geod_of(crs)
    # one flat call: segment lengths of every ring/line, summed per geometry
    boundaries = geometry.copy()
    polygonal = present & np.isin(shapely.get_type_id(geometry), (3, 6))
    boundaries[polygonal] = shapely.boundary(geometry[polygonal])
    parts, part_index = shapely.get_parts(boundaries[present], return_index=True)
    sums = np.zeros(int(present.sum()))
    part_coords, part_of_vertex = shapely.get_coordinates(parts, return_index=True)
    if len(part_coords) > 1:
        # a segment joins consecutive vertices of the same part
        same = part_of_vertex[1:] == part_of_vertex[:-1]
        _, _, seg = geod.inv(part_coords[:-1, 0][same], part_coords[:-1, 1][same],
                             part_coords[1:, 0][same], part_coords[1:, 1][same])
        np.add.at(sums, part_index[part_of_vertex[1:][same]], np.abs(seg))
    out[present] = sums
    return out


def areas_m2(geometry: np.ndarray, crs: CRS) -> np.ndarray:
    """Area of each geometry in square metres (0 for points and lines)."""
    geometry = np.asarray(geometry, dtype=object)
    out = np.full(geometry.shape, np.nan)
    present = ~shapely.is_missing(geometry)
    if not crs.is_geographic:
        out[present] = shapely.area(geometry[present]) * meters_per_unit(crs) ** 2
        return out
    geod = geod_of(crs)
    values = np.zeros(int(present.sum()))
    for i, shape in enumerate(geometry[present]):
        if shape.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection") and not shape.is_empty:
            values[i] = abs(geod.geometry_area_perimeter(shape)[0])
    out[present] = values
    return out


def distances_m(a: np.ndarray, b: np.ndarray, crs: CRS) -> np.ndarray:
    """Shortest ground distance between ``a[i]`` and ``b[i]`` in metres.

    Geographic: the geodesic length between the two nearest points found in
    lon/lat (exact for points; for other shapes the nearest pair in degrees,
    which is a close approximation away from the poles).
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    if not crs.is_geographic:
        return shapely.distance(a, b) * meters_per_unit(crs)
    out = np.full(np.broadcast(a, b).shape, np.nan)
    ok = ~(shapely.is_missing(a) | shapely.is_missing(b) | shapely.is_empty(a) | shapely.is_empty(b))
    if ok.any():
        lines = shapely.shortest_line(a[ok], b[ok])
        xy = shapely.get_coordinates(lines).reshape(-1, 2, 2)
        _, _, d = geod_of(crs).inv(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1])
        out[ok] = np.abs(d)
    return out
