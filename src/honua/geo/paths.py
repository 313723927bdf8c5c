"""Every line and ring of a geometry array as one flat coordinate table, and back.

Operations that add or move vertices along lines and rings (densify,
smoothing) work on all coordinates of all features at once: ``decompose``
flattens a geometry array into *paths* (one per line string or ring, in one
``(N, 2)`` or ``(N, 3)`` array with a path number per vertex), the operation
returns new coordinates and path numbers, and ``rebuild`` reassembles
geometries of the original types.

Points and empty parts pass through unchanged; missing geometries stay
``None``. Collections are flattened one level: a GeometryCollection holding
a MultiPolygon comes back holding its polygons. Z is kept when every path
has it; otherwise the result is 2D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["Paths", "decompose", "rebuild"]

_POINT, _LINE, _RING, _POLYGON = 0, 1, 2, 3
_MULTI = {4: shapely.multipoints, 5: shapely.multilinestrings, 6: shapely.multipolygons,
          7: shapely.geometrycollections}


@dataclass(frozen=True)
class Paths:
    """Flat coordinates of every path; ``path[i]`` numbers the path of ``coords[i]``."""

    coords: np.ndarray
    path: np.ndarray
    closed: np.ndarray
    """One flag per path: True for rings (first vertex repeated last)."""
    _geometry: np.ndarray
    _leaves: np.ndarray
    _leaf_of_geometry: np.ndarray
    _path_leaf: np.ndarray

    @property
    def count(self) -> int:
        return len(self.closed)

    @property
    def geometry_of_path(self) -> np.ndarray:
        """Index into the decomposed array of the geometry each path belongs to."""
        return self._leaf_of_geometry[self._path_leaf]


def _leaves(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = np.flatnonzero(~shapely.is_missing(geometry))
    leaves, index = shapely.get_parts(geometry[present], return_index=True)
    return leaves, present[index]


def decompose(geometry: np.ndarray) -> Paths:
    """The paths of ``geometry`` (a 1-D object array of shapely geometries)."""
    geometry = np.asarray(geometry, dtype=object)
    leaves, leaf_of_geometry = _leaves(geometry)
    kinds = shapely.get_type_id(leaves)
    usable = ~shapely.is_empty(leaves)
    lines = np.flatnonzero(usable & np.isin(kinds, (_LINE, _RING)))
    polygons = np.flatnonzero(usable & (kinds == _POLYGON))
    rings, ring_polygon = shapely.get_rings(leaves[polygons], return_index=True)
    path_geoms = np.concatenate([leaves[lines], rings])
    path_leaf = np.concatenate([lines, polygons[ring_polygon]]).astype(np.intp)
    closed = np.concatenate([kinds[lines] == _RING, np.ones(len(rings), bool)])
    include_z = bool(len(path_geoms)) and bool(shapely.has_z(path_geoms).all())
    coords, path = shapely.get_coordinates(path_geoms, include_z=include_z, return_index=True)
    return Paths(coords, path, closed, geometry, leaves, leaf_of_geometry, path_leaf)


def rebuild(paths: Paths, coords: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Geometries of the original types from new ``coords`` numbered by ``path``.

    ``path`` must be sorted and name every path of ``paths`` (lines keep at
    least 2 vertices, rings at least 4 with the first repeated last).
    """
    leaves = paths._leaves.copy()
    if paths.count:
        built = np.empty(paths.count, dtype=object)
        closed = paths.closed[path]
        shapely.linestrings(coords[~closed], indices=path[~closed], out=built)
        shapely.linearrings(coords[closed], indices=path[closed], out=built)
        kinds = shapely.get_type_id(paths._leaves[paths._path_leaf])
        direct = kinds != _POLYGON
        leaves[paths._path_leaf[direct]] = built[direct]
        ring_leaf = paths._path_leaf[~direct]
        if len(ring_leaf):
            shapely.polygons(built[~direct], indices=ring_leaf, out=leaves)
    return _assemble(paths._geometry, leaves, paths._leaf_of_geometry)


def _assemble(geometry: np.ndarray, leaves: np.ndarray, leaf_of_geometry: np.ndarray) -> np.ndarray:
    out = geometry.copy()
    kinds = shapely.get_type_id(geometry)
    leaf_kind = kinds[leaf_of_geometry]
    single = leaf_kind < 4
    out[leaf_of_geometry[single]] = leaves[single]
    for kind, build in _MULTI.items():
        chosen = leaf_kind == kind
        if chosen.any():
            build(leaves[chosen], indices=leaf_of_geometry[chosen], out=out)
    return out
