"""Bounding geometries (envelope, minimum-area rectangle, circle, convex hull) on the ground.

``envelope`` is the axis-aligned box in the CRS's own plane (on a
geographic CRS, the lon/lat box). The other kinds are computed in a local
metric projection on geographic data (``honua.geo.metric``), so a circle is
round and a rectangle rectangular on the ground; the convex hull's vertices
are exactly input vertices. Degenerate inputs give degenerate results: one
point gives a point, collinear points a line. Missing geometries stay
``None``; empty ones give empty results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.metric import apply_locally, measure_locally, select_locally

__all__ = ["BOUNDING_KINDS", "bounding", "circle_diameters_m", "rectangle_sides_m"]

BoundingKind = Literal["envelope", "rectangle", "circle", "convex_hull"]
BOUNDING_KINDS = ("envelope", "rectangle", "circle", "convex_hull")


def bounding(geometry: np.ndarray, crs: CRS, kind: BoundingKind) -> np.ndarray:
    """The bounding geometry of ``kind`` of every geometry.

    >>> from honua.geo.crs import parse_crs
    >>> pts = np.array([shapely.MultiPoint([(0, 0), (2, 0), (1, 1)]), None], dtype=object)
    >>> [g and g.wkt for g in bounding(pts, parse_crs(3857), "envelope")]
    ['POLYGON ((0 0, 2 0, 2 1, 0 1, 0 0))', None]
    """
    geometry = np.asarray(geometry, dtype=object)
    if kind == "envelope":
        return shapely.envelope(geometry)
    if kind == "convex_hull":
        return select_locally(shapely.convex_hull, crs, geometry)
    if kind == "rectangle":
        return apply_locally(shapely.oriented_envelope, crs, geometry)
    if kind == "circle":
        return apply_locally(shapely.minimum_bounding_circle, crs, geometry)
    raise ValueError(f"unknown bounding kind {kind!r}")


def rectangle_sides_m(rectangles: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(width, length, orientation) of rectangles: short and long side in metres, and the
    long side's direction in degrees clockwise from (grid) north, in [0, 180).

    A line counts as a rectangle of width 0, a point as one of size 0;
    missing geometries give NaN.
    """
    rectangles = np.asarray(rectangles, dtype=object)

    def sides(local: np.ndarray) -> np.ndarray:
        polygonal = shapely.get_type_id(local) == 3
        ring = local.copy()
        ring[polygonal] = shapely.get_exterior_ring(local[polygonal])
        p0, p1, p2 = (shapely.get_point(ring, i) for i in range(3))
        a = np.nan_to_num(shapely.distance(p0, p1))
        b = np.nan_to_num(shapely.distance(p1, p2))
        start, end = np.where(a >= b, p0, p1), np.where(a >= b, p1, p2)
        dx = np.nan_to_num(shapely.get_x(end) - shapely.get_x(start))
        dy = np.nan_to_num(shapely.get_y(end) - shapely.get_y(start))
        angle = np.degrees(np.arctan2(dx, dy)) % 180.0
        return np.stack([np.minimum(a, b), np.maximum(a, b), angle], axis=-1)

    out = np.full((len(rectangles), 3), np.nan)
    present = ~shapely.is_missing(rectangles)
    if present.any():
        def side(k: int) -> Callable[[np.ndarray], np.ndarray]:
            return lambda g: sides(g)[:, k]

        values = [measure_locally(side(k), crs, rectangles[present]) for k in range(3)]
        out[present] = np.column_stack(values)
    return out[:, 0], out[:, 1], out[:, 2]


def circle_diameters_m(geometry: np.ndarray, crs: CRS) -> np.ndarray:
    """Diameter in metres of the minimum bounding circle of each geometry (NaN if missing)."""
    geometry = np.asarray(geometry, dtype=object)
    out = np.full(len(geometry), np.nan)
    present = ~shapely.is_missing(geometry)
    if present.any():
        out[present] = measure_locally(
            lambda g: 2.0 * shapely.minimum_bounding_radius(g), crs, geometry[present])
    return out
