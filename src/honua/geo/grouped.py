"""Union and difference of geometries by group, vectorised across groups.

Dissolve, clip and erase all need "the union of the geometries of each
group". Groups of one pass through untouched; small groups are merged
pairwise, level by level, with one vectorised ``shapely.union`` call per
level for all groups at once (a cascaded union spread over every group);
large groups go to GEOS's own cascaded ``union_all``, one call per group.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

SMALL_GROUP = 256
"""Largest group merged by the level-wise pairwise union (measured crossover)."""


def union_by_group(geometry: np.ndarray, codes: np.ndarray, n_groups: int,
                   progress: Callable[[float], None] | None = None) -> np.ndarray:
    """The union of each group's geometries (``codes[i]`` is geometry i's group).

    Missing geometries are ignored; a group with no geometry gives ``None``.
    ``progress`` receives the fraction of large groups done.

    >>> boxes = shapely.box(np.arange(3), 0, np.arange(3) + 1, 1)
    >>> [g.wkt for g in union_by_group(boxes, np.array([0, 1, 0]), 2)]
    ['MULTIPOLYGON (((1 0, 1 1, 0 1, 0 0, 1 0)), ((3 0, 3 1, 2 1, 2 0, 3 0)))', \
'POLYGON ((2 0, 2 1, 1 1, 1 0, 2 0))']
    >>> union_by_group(np.array([None]), np.array([0]), 2).tolist()
    [None, None]
    """
    geometry = np.asarray(geometry, dtype=object)
    codes = np.asarray(codes, dtype=np.intp)
    out = np.full(n_groups, None, dtype=object)
    present = ~shapely.is_missing(geometry)
    geometry, codes = geometry[present], codes[present]
    if not len(codes):
        return out
    sizes = np.bincount(codes, minlength=n_groups)
    small = sizes[codes] <= SMALL_GROUP
    merged, groups = _pairwise(geometry[small], codes[small])
    out[groups] = merged
    large = np.flatnonzero(sizes > SMALL_GROUP)
    if len(large):
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)])
        for done, group in enumerate(large):
            out[group] = shapely.union_all(geometry[order[starts[group]:starts[group + 1]]])
            if progress is not None:
                progress((done + 1) / len(large))
    return out


def _pairwise(geometry: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union within each group by pairing neighbours level by level; (unions, group codes)."""
    order = np.argsort(codes, kind="stable")
    geometry, codes = geometry[order], codes[order]
    while len(codes):
        n = len(codes)
        starts = np.r_[True, codes[1:] != codes[:-1]]
        rank = np.arange(n) - np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        has_partner = np.r_[codes[1:] == codes[:-1], False]
        left = (rank % 2 == 0) & has_partner
        if not left.any():
            break
        at = np.flatnonzero(left)
        geometry = geometry.copy()
        geometry[at] = shapely.union(geometry[at], geometry[at + 1])
        keep = ~np.r_[False, left[:-1]]
        geometry, codes = geometry[keep], codes[keep]
    return geometry, codes


def difference_by_group(geometry: np.ndarray, others: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``geometry[i]`` minus the union of the ``others`` whose code is ``i``.

    Geometries with no other pass through unchanged.

    >>> a = np.array([shapely.box(0, 0, 4, 1), shapely.box(0, 0, 1, 1)])
    >>> cut = shapely.box(np.array([0, 3]), 0, np.array([1, 4]), 1)
    >>> shapely.area(difference_by_group(a, cut, np.array([0, 0]))).tolist()
    [2.0, 1.0]
    """
    geometry = np.asarray(geometry, dtype=object)
    cutters = union_by_group(others, codes, len(geometry))
    out = geometry.copy()
    cut = ~shapely.is_missing(cutters) & ~shapely.is_missing(geometry)
    out[cut] = shapely.difference(geometry[cut], cutters[cut])
    return out
