"""Keeping the parts of one topological dimension (0 points, 1 lines, 2 polygons).

An overlay of two polygons can produce lines and points where they merely
touch, and a geometry collection where both happen. Overlays keep the parts
of the dimension they are about and drop the lower-dimensional slivers.
"""

from __future__ import annotations

import numpy as np
import shapely

EMPTY = {0: shapely.Point(), 1: shapely.LineString(), 2: shapely.Polygon()}
_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}
_COLLECTION_TYPES = (4, 5, 6, 7)  # multi-point/line/polygon, geometry collection


def dimensions(geometry: np.ndarray) -> np.ndarray:
    """Dimension of each geometry (-1 when missing; the highest part for collections)."""
    return shapely.get_dimensions(np.asarray(geometry, dtype=object))


def keep_dimension(geometry: np.ndarray, dimension: int | np.ndarray) -> np.ndarray:
    """Each geometry reduced to its parts of ``dimension`` (scalar or per geometry).

    A geometry with no such part becomes an empty one of that dimension;
    missing stays missing; a collection keeping one part becomes that part.

    >>> gc = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(1, 0), (2, 0)])])
    >>> [g.wkt for g in keep_dimension(np.array([gc, gc]), np.array([2, 0]))]
    ['POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))', 'POINT EMPTY']
    >>> keep_dimension(np.array([None]), 2).tolist()
    [None]
    """
    geometry = np.asarray(geometry, dtype=object)
    wanted = np.broadcast_to(np.asarray(dimension), geometry.shape)
    out = geometry.copy()
    present = ~shapely.is_missing(geometry)
    kinds = shapely.get_type_id(geometry)
    mixed = present & (kinds == 7)
    wrong = present & ~mixed & (shapely.get_dimensions(geometry) != wanted)
    for dim, empty in EMPTY.items():
        out[wrong & (wanted == dim)] = empty
    if mixed.any():
        rows = np.flatnonzero(mixed)
        parts, owner = _flat_parts(geometry[rows])
        keep = shapely.get_dimensions(parts) == wanted[rows][owner]
        for dim, build in _MULTI.items():
            at = rows[wanted[rows] == dim]
            if not len(at):
                continue
            chosen = keep & (wanted[rows][owner] == dim)
            position = np.searchsorted(rows, at)
            rebuilt = np.full(len(rows), None, dtype=object)
            if chosen.any():
                build(parts[chosen], indices=owner[chosen], out=rebuilt)
            single = shapely.get_num_geometries(rebuilt) == 1
            rebuilt[single] = shapely.get_geometry(rebuilt[single], 0)
            rebuilt[shapely.is_missing(rebuilt)] = EMPTY[dim]
            out[at] = rebuilt[position]
    return out


def _flat_parts(collections: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part members of each collection, with the collection's position."""
    parts, owner = shapely.get_parts(collections, return_index=True)
    while len(parts) and np.isin(shapely.get_type_id(parts), _COLLECTION_TYPES).any():
        parts, inner = shapely.get_parts(parts, return_index=True)
        owner = owner[inner]
    return parts, owner
