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

from collections.abc import Callable

import numpy as np
import shapely

from honua.geo.dimension import dimensions, keep_dimension
from honua.geo.grouped import difference_by_group, union_by_group
from honua.geo.predicates import related_pairs

_NONE = np.empty(0, dtype=np.intp)


Progress = Callable[[float], None] | None
CHUNK = 20_000
"""Pairs per vectorised call when progress is reported between calls."""


def _usable(geometry: np.ndarray) -> np.ndarray:
    return ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)


def _elementwise(function: Callable[..., np.ndarray], x: np.ndarray, y: np.ndarray,
                 progress: Progress) -> np.ndarray:
    """``function(x, y)`` in chunks, reporting the fraction done after each."""
    if progress is None or len(x) <= CHUNK:
        out = function(x, y)
    else:
        out = np.empty(len(x), dtype=object)
        for start in range(0, len(x), CHUNK):
            out[start:start + CHUNK] = function(x[start:start + CHUNK], y[start:start + CHUNK])
            progress(min(1.0, (start + CHUNK) / len(x)))
    if progress is not None:
        progress(1.0)
    return out


def _inside(container: np.ndarray, contained: np.ndarray) -> np.ndarray:
    """``contained[k]`` lies in the interior of ``container[k]`` (prepared for the test).

    Such a pair needs no overlay: the intersection is ``contained[k]``
    itself, the difference empty. The preparation is undone afterwards so the
    caller's geometries are left as they came.
    """
    if not len(container):
        return np.zeros(0, dtype=bool)
    fresh = ~shapely.is_prepared(container) & ~shapely.is_missing(container)
    shapely.prepare(container[fresh])
    try:
        return shapely.contains_properly(container, contained)
    finally:
        shapely.destroy_prepared(container[fresh])


def intersection_pairs(a: np.ndarray, b: np.ndarray, progress: Progress = None,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    whole = _inside(b[ib], a[ia])
    pieces = a[ia]
    cut = ~whole
    pieces[cut] = _elementwise(shapely.intersection, a[ia[cut]], b[ib[cut]], progress)
    pieces = keep_dimension(pieces, np.minimum(dimensions(a)[ia], dimensions(b)[ib]))
    keep = _usable(pieces)
    return pieces[keep], ia[keep], ib[keep]


def clip(a: np.ndarray, b: np.ndarray, progress: Progress = None) -> tuple[np.ndarray, np.ndarray]:
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
    whole = np.zeros(len(a), dtype=bool)
    whole[ia[_inside(b[ib], a[ia])]] = True  # inside one clip polygon: kept as it is
    cut = ~whole[ia]
    ia, ib = ia[cut], ib[cut]
    pieces = _elementwise(shapely.intersection, a[ia], b[ib], progress)
    pieces = keep_dimension(pieces, dimensions(a)[ia])
    keep = _usable(pieces)
    merged = union_by_group(pieces[keep], ia[keep], len(a))
    # a line cut by several touching polygons comes back whole where it can
    rejoined = (np.bincount(ia[keep], minlength=len(a)) > 1) & (dimensions(a) == 1)
    merged[rejoined] = shapely.line_merge(merged[rejoined])
    merged[whole] = a[whole]
    found = np.flatnonzero(_usable(merged))
    return merged[found], found


def erase(a: np.ndarray, b: np.ndarray, progress: Progress = None) -> tuple[np.ndarray, np.ndarray]:
    """(pieces, ia): each ``a`` minus the union of ``b``; features untouched by ``b`` pass whole.

    >>> pieces, ia = erase(np.array([shapely.box(0, 0, 4, 1), None]), np.array([shapely.box(1, 0, 2, 1)]))
    >>> shapely.area(pieces).tolist(), ia.tolist()
    ([3.0], [0])
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    ia, ib = related_pairs(a, b, "intersects")
    gone = np.zeros(len(a), dtype=bool)
    gone[ia[_inside(b[ib], a[ia])]] = True  # inside one eraser: nothing left
    cut = ~gone[ia]
    rest = difference_by_group(a, b[ib[cut]], ia[cut])
    rest[gone] = None
    rest = keep_dimension(rest, dimensions(a))
    found = np.flatnonzero(_usable(rest))
    if progress is not None:
        progress(1.0)
    return rest[found], found


def _ordered(pieces: np.ndarray, ia: np.ndarray, ib: np.ndarray,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces by ``a`` feature (``-1`` last), then ``b`` feature (``-1`` last)."""
    if not len(ia):
        return pieces, ia, ib
    last_a, last_b = int(ia.max()) + 1, int(ib.max()) + 1
    key = np.where(ia < 0, last_a, ia).astype(np.int64) * (last_b + 1) + np.where(ib < 0, last_b, ib)
    order = np.argsort(key, kind="stable")
    return pieces[order], ia[order], ib[order]


def _share(progress: Progress, start: float, span: float) -> Progress:
    """A progress callback for one step covering ``[start, start + span]`` of the whole."""
    if progress is None:
        return None
    return lambda fraction: progress(start + span * fraction)


def identity(a: np.ndarray, b: np.ndarray, progress: Progress = None,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): ``a`` split by ``b``; the parts outside every ``b`` have ``ib`` -1."""
    inside, ia, ib = intersection_pairs(a, b, _share(progress, 0.0, 0.6))
    outside, ja = erase(a, b, _share(progress, 0.6, 0.4))
    return _ordered(np.concatenate([inside, outside]), np.concatenate([ia, ja]),
                    np.concatenate([ib, np.full(len(ja), -1, dtype=np.intp)]))


def symmetric_difference(a: np.ndarray, b: np.ndarray, progress: Progress = None,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): the parts of ``a`` outside ``b`` (``ib`` -1) and of ``b`` outside ``a``."""
    only_a, ia = erase(a, b, _share(progress, 0.0, 0.5))
    only_b, ib = erase(b, a, _share(progress, 0.5, 0.5))
    return _ordered(np.concatenate([only_a, only_b]),
                    np.concatenate([ia, np.full(len(ib), -1, dtype=np.intp)]),
                    np.concatenate([np.full(len(ia), -1, dtype=np.intp), ib]))


def union(a: np.ndarray, b: np.ndarray, progress: Progress = None,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, ia, ib): the intersections plus both symmetric-difference sides.

    >>> pieces, ia, ib = union(np.array([shapely.box(0, 0, 2, 1)]), np.array([shapely.box(1, 0, 3, 1)]))
    >>> shapely.area(pieces).tolist(), ia.tolist(), ib.tolist()
    ([1.0, 1.0, 1.0], [0, 0, -1], [0, -1, 0])
    """
    inside, ia, ib = intersection_pairs(a, b, _share(progress, 0.0, 0.5))
    rest, ra, rb = symmetric_difference(a, b, _share(progress, 0.5, 0.5))
    return _ordered(np.concatenate([inside, rest]), np.concatenate([ia, ra]),
                    np.concatenate([ib, rb]))


def _carry(index: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``index[at]`` with ``-1`` wherever ``at`` is -1."""
    return np.append(index, -1)[at]


def overlay_layers(layers: list[np.ndarray], how: str, progress: Progress = None,
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
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
    steps = max(len(layers) - 1, 1)
    for k, layer in enumerate(layers[1:]):
        pieces, ia, ib = step(pieces, np.asarray(layer, dtype=object),
                              _share(progress, k / steps, 1 / steps))
        indices = [_carry(index, ia) for index in indices] + [ib]
    return pieces, indices
