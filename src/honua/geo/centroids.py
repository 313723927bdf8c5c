"""Representative points of geometries: true centroids on the ground, or points inside.

``centroid`` is the centre of mass (of area for polygons, of length for
lines, of the points for multipoints; a collection counts its highest
dimension only), computed in a local metric projection on geographic data
so that it is the centre on the ground rather than in degrees. It may lie
outside a concave or multipart shape.

``inside`` is a point guaranteed to lie on or inside the geometry
(``point_on_surface``), computed in the CRS's own coordinates so that the
guarantee holds against the stored geometry.

Missing geometries stay ``None``; empty ones give empty points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.metric import apply_locally

__all__ = ["representative_points"]

PointMethod = Literal["centroid", "inside"]


def representative_points(geometry: np.ndarray, crs: CRS, method: PointMethod = "centroid") -> np.ndarray:
    """One point per geometry, by ``method`` (see the module doc).

    >>> from honua.geo.crs import parse_crs
    >>> ell = shapely.Polygon([(0, 0), (3, 0), (3, 1), (1, 1), (1, 3), (0, 3)])
    >>> [p.wkt for p in representative_points(np.array([ell]), parse_crs(3857))]
    ['POINT (1.1 1.1)']
    """
    geometry = np.asarray(geometry, dtype=object)
    if method == "inside":
        return shapely.point_on_surface(geometry)
    if method == "centroid":
        return apply_locally(shapely.centroid, crs, geometry)
    raise ValueError(f"unknown method {method!r}")
