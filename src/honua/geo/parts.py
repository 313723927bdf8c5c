"""Multipart geometries split into single parts, remembering where each part came from.

Collections are flattened all the way down (a GeometryCollection holding a
MultiPolygon gives its polygons). Missing and empty geometries give one
"part" each — themselves — so that no input feature silently disappears.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["single_parts"]


def single_parts(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parts, source index of each part, part number within its source).

    >>> multi = shapely.MultiPoint([(0, 0), (1, 1)])
    >>> parts, source, number = single_parts(np.array([multi, None], dtype=object))
    >>> [p and p.wkt for p in parts], source.tolist(), number.tolist()
    (['POINT (0 0)', 'POINT (1 1)', None], [0, 0, 1], [0, 1, 0])
    """
    geometry = np.asarray(geometry, dtype=object)
    blank = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    present = np.flatnonzero(~blank)
    parts, source = shapely.get_parts(geometry[present], return_index=True)
    source = present[source]
    while len(parts) and (nested := shapely.get_type_id(parts) >= 4).any():
        # replace each nested part by its members, in place, keeping the order
        counts = np.where(nested, shapely.get_num_geometries(parts), 1)
        start = np.cumsum(counts) - counts
        flat = np.empty(int(counts.sum()), dtype=object)
        flat_source = np.repeat(source, counts)
        flat[start[~nested]] = parts[~nested]
        inner, parent = shapely.get_parts(parts[nested], return_index=True)
        parent_start = start[nested][parent]
        rank = np.arange(len(parent)) - np.searchsorted(parent, parent)
        flat[parent_start + rank] = inner
        parts, source = flat, flat_source
    kept = ~shapely.is_empty(parts)  # empty members of collections are not parts
    parts, source = parts[kept], source[kept]
    blanks = np.flatnonzero(blank)
    parts = np.concatenate([parts, geometry[blanks]])
    source = np.concatenate([source, blanks]).astype(np.intp)
    order = np.argsort(source, kind="stable")
    parts, source = parts[order], source[order]
    start = np.r_[True, source[1:] != source[:-1]] if len(source) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(source)), 0))
    return parts, source, np.arange(len(source)) - first
