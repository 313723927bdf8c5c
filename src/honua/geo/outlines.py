"""Polygon outlines as lines: per polygon, or split where the neighbour changes.

``outlines`` is each polygon's boundary (exterior and hole rings). With
``shared_outlines`` every outline is cut where it meets another polygon's
outline, each piece appears once (a boundary between two polygons is not
doubled) and carries the polygon on its left and on its right, looking
along the line's direction (``-1`` for no polygon). The pieces are merged
back together where the neighbours do not change. This is planar, in the
CRS's own coordinates: it is a question of topology, not of distance.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["outlines", "shared_outlines"]


def outlines(geometry: np.ndarray) -> np.ndarray:
    """Boundary lines of polygons (missing stays ``None``, empty gives an empty line).

    >>> outlines(np.array([shapely.box(0, 0, 1, 1), None], dtype=object)).tolist()
    [<LINESTRING (1 0, 1 1, 0 1, 0 0, 1 0)>, None]
    """
    return shapely.boundary(np.asarray(geometry, dtype=object))


def shared_outlines(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lines, left polygon index, right polygon index) — see the module doc.

    >>> lines, left, right = shared_outlines(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]))
    >>> [(line.wkt, int(a), int(b)) for line, a, b in zip(lines, left, right)][1]
    ('LINESTRING (1 0, 1 1)', 0, 1)
    """
    geometry = np.asarray(geometry, dtype=object)
    present = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    if len(present) == 0:
        return np.empty(0, dtype=object), np.empty(0, np.intp), np.empty(0, np.intp)
    noded = shapely.union_all(shapely.boundary(geometry[present]))
    lines = shapely.get_parts(shapely.line_merge(noded))
    a, b = shapely.get_point(lines, 0), shapely.get_point(lines, 1)
    ax, ay, bx, by = shapely.get_x(a), shapely.get_y(a), shapely.get_x(b), shapely.get_y(b)
    # probe a hair's breadth either side of the middle of each line's first segment
    nx, ny = -(by - ay) * 1e-4, (bx - ax) * 1e-4
    mx, my = (ax + bx) / 2.0, (ay + by) / 2.0
    tree = shapely.STRtree(geometry[present])
    sides = []
    for sign in (1.0, -1.0):
        probes = shapely.points(mx + sign * nx, my + sign * ny)
        found = np.full(len(lines), -1, dtype=np.intp)
        probe, polygon = tree.query(probes, predicate="within")
        order = np.lexsort((polygon, probe))  # overlapping polygons: the first one wins
        probe, polygon = probe[order], polygon[order]
        first = np.r_[True, probe[1:] != probe[:-1]] if len(probe) else np.zeros(0, bool)
        found[probe[first]] = present[polygon[first]]
        sides.append(found)
    return lines, sides[0], sides[1]
