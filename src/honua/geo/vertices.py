"""Vertices of geometries as points: all of them, the ends, or the midpoint.

Every function returns ``(points, source, vertex)``: the point array, the
index of the geometry each point comes from, and the vertex's position in
its geometry (counting every vertex of every part in order, the closing
vertex of a ring excluded; ``-1`` for midpoints, which are not vertices).
Missing and empty geometries yield no points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.metric import apply_locally

__all__ = ["VERTEX_LOCATIONS", "vertex_points"]

VertexLocation = Literal["all", "start", "end", "both_ends", "mid"]
VERTEX_LOCATIONS = ("all", "start", "end", "both_ends", "mid")
Result = tuple[np.ndarray, np.ndarray, np.ndarray]


def vertex_points(geometry: np.ndarray, crs: CRS, location: VertexLocation = "all") -> Result:
    """Points at ``location`` of every geometry (see the module doc).

    ``start``/``end`` are the first/last vertex of the whole geometry (first
    part, exterior ring first); ``mid`` is the point halfway along the length
    on the ground (lines) or along the exterior ring (polygons).

    >>> from honua.geo.crs import parse_crs
    >>> square = np.array([shapely.box(0, 0, 1, 1), None], dtype=object)
    >>> points, source, vertex = vertex_points(square, parse_crs(3857), "all")
    >>> len(points), source.tolist(), vertex.tolist()
    (4, [0, 0, 0, 0], [0, 1, 2, 3])
    """
    geometry = np.asarray(geometry, dtype=object)
    if location == "mid":
        return _midpoints(geometry, crs)
    coords, source, number = _all_vertices(geometry)
    if location == "all":
        return shapely.points(coords), source, number
    first = np.r_[True, source[1:] != source[:-1]] if len(source) else np.zeros(0, bool)
    last = np.r_[source[1:] != source[:-1], True] if len(source) else np.zeros(0, bool)
    chosen = {"start": first, "end": last, "both_ends": first | last}[location]
    return shapely.points(coords[chosen]), source[chosen], number[chosen]


def _all_vertices(geometry: np.ndarray) -> Result:
    """Coordinates of every vertex without ring closures, with source and vertex numbers."""
    present = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    leaves, leaf_source = shapely.get_parts(geometry[present], return_index=True)
    leaf_source = present[leaf_source]
    while True:  # collections of multi-part geometries: flatten further
        nested = shapely.get_type_id(leaves) >= 4
        if not nested.any():
            break
        parts, index = shapely.get_parts(leaves, return_index=True)
        leaves, leaf_source = parts, leaf_source[index]
    polygonal = shapely.get_type_id(leaves) == 3
    rings, ring_leaf = shapely.get_rings(leaves[polygonal], return_index=True)
    pieces = np.concatenate([leaves[~polygonal], rings])
    piece_leaf = np.concatenate([np.flatnonzero(~polygonal), np.flatnonzero(polygonal)[ring_leaf]])
    order = np.argsort(piece_leaf, kind="stable")  # parts in order, rings in order within a part
    pieces, piece_source = pieces[order], leaf_source[piece_leaf[order]]
    include_z = bool(len(pieces)) and bool(shapely.has_z(pieces).all())
    coords, piece = shapely.get_coordinates(pieces, include_z=include_z, return_index=True)
    closed = shapely.get_type_id(pieces) == 2  # rings; a line ending where it began keeps both
    is_last = np.r_[piece[1:] != piece[:-1], True] if len(piece) else np.zeros(0, bool)
    keep = ~(is_last & closed[piece])
    coords, source = coords[keep], piece_source[piece[keep]]
    start = np.r_[True, source[1:] != source[:-1]] if len(source) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(source)), 0))
    return coords, source, np.arange(len(source)) - group_start


def _midpoints(geometry: np.ndarray, crs: CRS) -> Result:
    """Halfway along lines, exterior rings (polygons) or all rings (multipolygons); other
    kinds (points, collections) get their centroid."""
    present = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    targets = geometry[present].copy()
    kinds = shapely.get_type_id(targets)
    targets[kinds == 3] = shapely.get_exterior_ring(targets[kinds == 3])
    targets[kinds == 6] = shapely.boundary(targets[kinds == 6])
    linear = np.isin(kinds, (1, 2, 3, 5, 6))

    def halfway(local: np.ndarray) -> np.ndarray:
        out = shapely.centroid(local)
        lines = np.isin(shapely.get_type_id(local), (1, 2, 5))
        out[lines] = shapely.line_interpolate_point(local[lines], 0.5, normalized=True)
        return out

    mids = apply_locally(halfway, crs, targets)
    mids[~linear] = shapely.centroid(targets[~linear])
    return mids, present, np.full(len(present), -1)
