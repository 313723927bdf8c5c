"""Features grouped by attribute values, and each group's geometries as one geometry.

Used by the processes that work "per feature, per group of equal field
values, or on all features at once" (convex hull, minimum bounding
geometry). Values are compared as they are, with ``None`` a group of its
own; unhashable values (JSON objects and arrays) are compared by their JSON
text. Groups are numbered in order of their first feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import shapely

__all__ = ["collect", "group_codes"]


def _codes(column: Sequence[Any]) -> np.ndarray:
    seen: dict[Any, int] = {}
    out = np.empty(len(column), dtype=np.intp)
    for i, value in enumerate(column):
        try:
            key: Any = (type(value) is bool, value)
            hash(key)
        except TypeError:
            key = ("json", orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
        out[i] = seen.setdefault(key, len(seen))
    return out


def group_codes(columns: Sequence[Sequence[Any]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(group number of each of ``n`` features, index of each group's first feature).

    No columns means one group holding every feature.

    >>> group_codes([["a", "b", "a", None]], 4)
    (array([0, 1, 0, 2]), array([0, 1, 3]))
    >>> group_codes([], 3)
    (array([0, 0, 0]), array([0]))
    """
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if not columns:
        return np.zeros(n, dtype=np.intp), np.zeros(1, dtype=np.intp)
    keys = np.column_stack([_codes(column) for column in columns])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # number groups by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], first[order]


def collect(geometry: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """One GeometryCollection per group of the non-missing, non-empty geometries in it.

    A group with nothing to collect gets an empty GeometryCollection.

    >>> points = np.array([shapely.Point(0, 0), None, shapely.Point(1, 1)])
    >>> [g.wkt for g in collect(points, np.array([0, 0, 1]), 3)]
    ['GEOMETRYCOLLECTION (POINT (0 0))', 'GEOMETRYCOLLECTION (POINT (1 1))', 'GEOMETRYCOLLECTION EMPTY']
    """
    geometry = np.asarray(geometry, dtype=object)
    out = np.full(groups, shapely.GeometryCollection(), dtype=object)
    keep = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    order = keep[np.argsort(codes[keep], kind="stable")]
    if len(order):
        shapely.geometrycollections(geometry[order], indices=codes[order], out=out)
    return out
