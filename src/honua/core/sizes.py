"""How big a request is, counted before it runs: vertices of every geometry in its inputs.

The number of features says little about cost: one polygon of a million
vertices is one feature. Every path (the in-process fast path, the worker
pool, stored jobs) is sized by the vertices of the bound inputs, so that a cap
(``max_vertices``) refuses oversized requests up front with a clear 413, and
the fast path takes only work whose cost is bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from honua.core.values import Geometry
from honua.errors import PayloadTooLarge
from honua.geo.features import FeatureCollection

__all__ = ["check_vertices", "vertex_count"]


def _vertices(value: Any) -> int:
    if isinstance(value, FeatureCollection):
        return int(np.sum(shapely.get_num_coordinates(value.geometry)))
    if isinstance(value, Geometry):
        return int(shapely.get_num_coordinates(value.shape))
    if isinstance(value, list | tuple):
        return sum(_vertices(v) for v in value)
    return 0


def vertex_limit(own: int | None, server: int) -> int:
    """The vertex cap of one request: the process's own (``own``), within the server's."""
    return min(own, server) if own and server > 0 else (own or server)


def vertex_count(bound: Mapping[str, Any]) -> int:
    """Vertices of all geometries in ``bound`` inputs (references not yet read count 0)."""
    return sum(_vertices(value) for value in bound.values())


def check_vertices(bound: Mapping[str, Any], limit: int) -> int:
    """The vertex count of ``bound``; ``PayloadTooLarge`` past ``limit`` (0 = no limit)."""
    found = vertex_count(bound)
    if limit > 0 and found > limit:
        raise PayloadTooLarge(f"the request's geometries have {found:,} vertices; this process "
                              f"accepts at most {limit:,} in one request (simplify or split "
                              "the input)")
    return found
