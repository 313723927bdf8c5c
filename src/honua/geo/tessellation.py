"""Voronoi (Thiessen) cells and Delaunay triangles of point arrays.

Both are planar constructions. On a projected CRS they are built in its
plane. On a geographic CRS they are built in a transverse Mercator projection
centred on the points (``honua.geo.local.centred_transformers``), where
distances are true on the ground to well under 1 % across a few thousand
kilometres, rather than in degrees (where, at 60 degrees of latitude, a
degree of longitude is half a degree of latitude on the ground); cell edges
are densified before they are projected back, and triangles keep the input
points' exact coordinates as vertices.

Coincident points share one cell; a triangle vertex that stands for several
coincident points refers to the first of them. Missing and empty points
have no cell and are no vertex.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

from honua.geo import local

_EDGE_STEPS = 64
"""Cell edges are split into at least this many steps of the extent's size before going back."""


def _unique_points(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(usable positions, unique x/y, unique index of each usable point)."""
    points = np.asarray(points, dtype=object)
    usable = np.flatnonzero(~shapely.is_missing(points) & ~shapely.is_empty(points))
    xy = shapely.get_coordinates(points[usable])
    unique, first, inverse = np.unique(xy, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # unique points in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return usable, unique[order], rank[inverse.reshape(-1)]


def _local_frame(xy: np.ndarray, crs: CRS) -> tuple[Transformer, Transformer] | None:
    """(forward, backward) transformers, or None on a projected CRS."""
    if not crs.is_geographic or not len(xy):
        return None
    west, south = xy.min(axis=0)
    east, north = xy.max(axis=0)
    return local.centred_transformers(crs, round(float((west + east) / 2), 6),
                                      round(float((south + north) / 2), 6))


def voronoi_cells(points: np.ndarray, extent: shapely.Polygon, crs: CRS) -> np.ndarray:
    """The Voronoi cell of each point, clipped to ``extent`` (in ``crs``); None where no point.

    >>> cells = voronoi_cells(shapely.points([(0, 0), (2, 0), (0, 0)]), shapely.box(-1, -1, 3, 1),
    ...                       CRS.from_epsg(3857))
    >>> [c.bounds for c in cells]
    [(-1.0, -1.0, 1.0, 1.0), (1.0, -1.0, 3.0, 1.0), (-1.0, -1.0, 1.0, 1.0)]
    """
    out = np.full(len(points), None, dtype=object)
    usable, xy, which = _unique_points(points)
    if not len(xy):
        return out
    frame = _local_frame(xy, crs)
    sites = shapely.multipoints(xy)
    box = extent
    if frame is not None:
        step = max(extent.length / 4, 1e-9) / _EDGE_STEPS
        sites = local.apply(frame[0], np.array([sites]))[0]
        box = local.apply(frame[0], np.array([shapely.segmentize(extent, step)]))[0]
    if len(xy) == 1:
        cells = np.array([box], dtype=object)
    else:
        cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=box, ordered=True))
    if frame is not None:
        local_step = max(shapely.length(box) / 4, 1e-9) / _EDGE_STEPS
        cells = local.apply(frame[1], shapely.segmentize(cells, local_step))
    cells = shapely.intersection(cells, extent)
    out[usable] = cells[which]
    return out


def delaunay_triangles(points: np.ndarray, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """(triangles, (T, 3) positions in ``points`` of each triangle's vertices).

    >>> tri, nodes = delaunay_triangles(shapely.points([(0, 0), (1, 0), (0, 1)]), CRS.from_epsg(3857))
    >>> len(tri), sorted(nodes[0].tolist())
    (1, [0, 1, 2])
    """
    usable, xy, which = _unique_points(points)
    first_of_unique = np.full(len(xy), -1, dtype=np.intp)
    first_of_unique[which[::-1]] = usable[::-1]
    if len(xy) < 3:
        return np.empty(0, dtype=object), np.empty((0, 3), dtype=np.intp)
    frame = _local_frame(xy, crs)
    work = xy if frame is None else np.column_stack(frame[0].transform(xy[:, 0], xy[:, 1]))
    triangles = shapely.get_parts(shapely.delaunay_triangles(shapely.multipoints(work)))
    if not len(triangles):
        return np.empty(0, dtype=object), np.empty((0, 3), dtype=np.intp)
    corners = shapely.get_coordinates(shapely.get_exterior_ring(triangles)).reshape(-1, 4, 2)[:, :3]
    vertex = _lookup(work, corners.reshape(-1, 2)).reshape(-1, 3)
    rings = xy[vertex]
    closed = np.concatenate([rings, rings[:, :1]], axis=1)
    return shapely.polygons(closed), first_of_unique[vertex]


def _lookup(table: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Row of ``table`` holding each of ``coords`` (exact match)."""
    keys = table[:, 0] + 1j * table[:, 1]
    order = np.argsort(keys)
    at = np.searchsorted(keys[order], coords[:, 0] + 1j * coords[:, 1])
    return order[np.minimum(at, len(order) - 1)]
