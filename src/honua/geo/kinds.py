"""Geometry kinds (point, line, polygon) of geometry arrays, and checks on them.

A process that accepts only some kinds (``polygon_to_line`` wants polygons)
checks its input here; missing and empty geometries are of no kind and always
pass, so that they can be carried through as the process documents.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely

from honua.errors import InvalidParameter

__all__ = ["KINDS", "kinds_of", "require_kinds"]

KINDS = ("point", "line", "polygon", "collection")
# shapely type id -> kind: Point/MultiPoint, LineString/LinearRing/MultiLineString, ...
_KIND_OF_TYPE = np.array(["point", "line", "line", "polygon", "point", "line", "polygon",
                          "collection"], dtype=object)


def kinds_of(geometry: np.ndarray) -> np.ndarray:
    """``"point"``, ``"line"``, ``"polygon"``, ``"collection"`` per geometry, ``None`` if missing/empty.

    >>> kinds_of(np.array([shapely.Point(0, 0), shapely.MultiPolygon(), None], dtype=object))
    array(['point', None, None], dtype=object)
    """
    geometry = np.asarray(geometry, dtype=object)
    out = np.full(geometry.shape, None, dtype=object)
    present = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    out[present] = _KIND_OF_TYPE[shapely.get_type_id(geometry[present])]
    return out


def require_kinds(geometry: np.ndarray, allowed: Iterable[str], *, parameter: str) -> None:
    """InvalidParameter naming the first feature whose kind is not ``allowed``."""
    allowed = tuple(allowed)
    kinds = kinds_of(geometry)
    bad = np.flatnonzero((kinds != None) & ~np.isin(kinds, allowed))  # noqa: E711
    if len(bad):
        i = int(bad[0])
        raise InvalidParameter(
            f"input {parameter!r}: feature {i} is a {geometry[i].geom_type}; this process "
            f"takes {' or '.join(allowed)} features only ({len(bad)} feature(s) do not fit)",
            parameter=parameter)
