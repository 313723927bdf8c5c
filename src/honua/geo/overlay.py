"""Overlay of two geometry arrays in one CRS: the pieces and where they come from.

Each function returns the output pieces with, for each piece, the position
of the feature it comes from in ``a`` and/or ``b`` (``-1``: none), so that
callers can carry attributes (``honua.geo.attributes.join_rows``).

Rules shared by every function:

* a piece keeps the dimension of the overlay it belongs to (for an
  intersection the lower of the two inputs' dimensions, for a difference
  the first input's); lower-dimensional slivers, such as the edge two
  polygons share, are dropped, and so are empty pieces;
* missing and empty geometries take part in nothing and give no piece;
* overlaps between the features of one layer are not resolved: each feature
  is overlaid with the other layer on its own.

Pieces are ordered by their ``a`` feature, then ``b`` feature.
"""

from __future__ import annotations

import numpy as np
import shapely

from honua.geo.dimension import dimensions, keep_dimension
from honua.geo.grouped import difference_by_group, union_by_group
from honua.geo.predicates import related_pairs

_NONE = np.empty(0, dtype=np.intp)


def _usable(geometry: np.ndarray) -> np.ndarray:
    return ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)


def intersection_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): ``a[ia] & b[ib]`` for every pair that shares more than a sliver.

    >>> a = np.array([shapely.box(0, 0, 2, 2)])
    >>> b = shapely.box(np.array([1, 2]), 0, np.array([3, 4]), 2)  # overlaps, touches
    >>> pieces, ia, ib = intersection_pairs(a, b)
    >>> shapely.area(pieces).tolist(), ia.tolist(), ib.tolist()
    ([2.0], [0], [0])
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    ia, ib = related_pairs(a, b, "intersects")
    pieces = shapely.intersection(a[ia], b[ib])
    pieces = keep_dimension(pieces, np.minimum(dimensions(a)[ia], dimensions(b)[ib]))
    keep = _usable(pieces)
    return pieces[keep], ia[keep], ib[keep]


def clip(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pieces, ia): the part of each ``a`` inside the union of ``b``, one piece per feature.

    >>> a = np.array([shapely.LineString([(0, 1), (4, 1)]), shapely.Point(9, 9)])
    >>> b = shapely.box(np.array([0, 2]), 0, np.array([2, 3]), 2)
    >>> pieces, ia = clip(a, b)
    >>> shapely.length(pieces).tolist(), ia.tolist()
    ([3.0], [0])
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    ia, ib = related_pairs(a, b, "intersects")
    pieces = shapely.intersection(a[ia], b[ib])
    pieces = keep_dimension(pieces, dimensions(a)[ia])
    keep = _usable(pieces)
    merged = union_by_group(pieces[keep], ia[keep], len(a))
    # a line cut by several touching polygons comes back whole where it can
    rejoined = (np.bincount(ia[keep], minlength=len(a)) > 1) & (dimensions(a) == 1)
    merged[rejoined] = shapely.line_merge(merged[rejoined])
    found = np.flatnonzero(_usable(merged))
    return merged[found], found


def erase(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pieces, ia): each ``a`` minus the union of ``b``; features untouched by ``b`` pass whole.

    >>> pieces, ia = erase(np.array([shapely.box(0, 0, 4, 1), None]), np.array([shapely.box(1, 0, 2, 1)]))
    >>> shapely.area(pieces).tolist(), ia.tolist()
    ([3.0], [0])
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    ia, ib = related_pairs(a, b, "intersects")
    rest = difference_by_group(a, b[ib], ia)
    rest = keep_dimension(rest, dimensions(a))
    found = np.flatnonzero(_usable(rest))
    return rest[found], found


def _ordered(pieces: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pieces by ``a`` feature (``-1`` last), then ``b`` feature (``-1`` last)."""
    big = np.iinfo(np.intp).max
    order = np.lexsort((np.where(ib < 0, big, ib), np.where(ia < 0, big, ia)))
    return pieces[order], ia[order], ib[order]


def identity(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): ``a`` split by ``b``; the parts outside every ``b`` have ``ib`` -1."""
    inside, ia, ib = intersection_pairs(a, b)
    outside, ja = erase(a, b)
    return _ordered(np.concatenate([inside, outside]), np.concatenate([ia, ja]),
                    np.concatenate([ib, np.full(len(ja), -1, dtype=np.intp)]))


def symmetric_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): the parts of ``a`` outside ``b`` (``ib`` -1) and of ``b`` outside ``a``."""
    only_a, ia = erase(a, b)
    only_b, ib = erase(b, a)
    return _ordered(np.concatenate([only_a, only_b]),
                    np.concatenate([ia, np.full(len(ib), -1, dtype=np.intp)]),
                    np.concatenate([np.full(len(ia), -1, dtype=np.intp), ib]))


def union(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): the intersections plus both symmetric-difference sides.

    >>> pieces, ia, ib = union(np.array([shapely.box(0, 0, 2, 1)]), np.array([shapely.box(1, 0, 3, 1)]))
    >>> shapely.area(pieces).tolist(), ia.tolist(), ib.tolist()
    ([1.0, 1.0, 1.0], [0, 0, -1], [0, -1, 0])
    """
    inside, ia, ib = intersection_pairs(a, b)
    rest, ra, rb = symmetric_difference(a, b)
    return _ordered(np.concatenate([inside, rest]), np.concatenate([ia, ra]),
                    np.concatenate([ib, rb]))


def _carry(index: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``index[at]`` with ``-1`` wherever ``at`` is -1."""
    return np.append(index, -1)[at]


def overlay_layers(layers: list[np.ndarray], how: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """(pieces, [index into layer k for each piece]) of ``how`` ('intersection' or 'union') of all layers.

    Layers are overlaid in turn: the result of the first two with the third,
    and so on. For 'union' an index is -1 where a piece lies outside every
    feature of that layer.

    >>> a, b, c = (np.array([shapely.box(x, 0, x + 2, 2)]) for x in (0, 1, 1.5))
    >>> pieces, (ia, ib, ic) = overlay_layers([a, b, c], "intersection")
    >>> shapely.area(pieces).tolist(), ia.tolist(), ib.tolist(), ic.tolist()
    ([1.0], [0], [0], [0])
    """
    step = {"intersection": intersection_pairs, "union": union}[how]
    pieces = np.asarray(layers[0], dtype=object)
    keep = _usable(pieces)
    pieces = pieces[keep]
    indices = [np.flatnonzero(keep)]
    for layer in layers[1:]:
        pieces, ia, ib = step(pieces, np.asarray(layer, dtype=object))
        indices = [_carry(index, ia) for index in indices] + [ib]
    return pieces, indices
