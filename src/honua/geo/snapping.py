"""Snapping vertices to another layer within a ground distance.

Every vertex of every input geometry is moved to the nearest *target*
within the tolerance, measured on the ground:

* ``vertex``: the targets are the vertices of the other layer, and a snapped
  vertex takes their exact coordinates;
* ``end``: the targets are the end points of the other layer's lines;
* ``edge``: the nearest point on the other layer's lines and polygon
  outlines — but a vertex within the tolerance is preferred, so corners
  snap exactly onto corners.

Candidates are found with an STRtree (in degrees on geographic data, with a
radius that covers the tolerance at the data's latitudes); distances are
then checked exactly — geodesic distances on geographic data, with the
nearest point on an edge found in a local metric projection. Vertices keep
their Z. Ring closures stay closed (both copies of the closing vertex snap
alike). Missing geometries stay ``None``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.crs import geod_of, meters_per_unit
from honua.geo.metric import apply_locally, degrees_covering

__all__ = ["SNAP_TYPES", "snap"]

SnapType = Literal["vertex", "edge", "end"]
SNAP_TYPES = ("vertex", "edge", "end")


def snap(geometry: np.ndarray, targets: np.ndarray, tolerance_m: float, crs: CRS,
         snap_type: SnapType = "vertex") -> tuple[np.ndarray, int]:
    """(``geometry`` with vertices snapped to ``targets``, number of vertices moved).

    >>> from honua.geo.crs import parse_crs
    >>> line = np.array([shapely.LineString([(0, 0), (10, 0.4)])])
    >>> moved, count = snap(line, np.array([shapely.Point(10, 0)]), 1.0, parse_crs(3857))
    >>> moved[0].wkt, count
    ('LINESTRING (0 0, 10 0)', 1)
    """
    geometry = np.asarray(geometry, dtype=object)
    coords = shapely.get_coordinates(geometry, include_z=True)
    if len(coords) == 0:
        return geometry.copy(), 0
    targets = np.asarray(targets, dtype=object)
    targets = targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))]
    new = coords[:, :2].copy()
    done = np.zeros(len(coords), dtype=bool)
    passes = {"vertex": ["vertex"], "end": ["end"], "edge": ["vertex", "edge"]}[snap_type]
    for kind in passes:
        todo = np.flatnonzero(~done)
        found, where = _nearest(coords[todo, :2], _targets(targets, kind), tolerance_m, crs,
                                exact_points=kind != "edge")
        new[todo[found]] = where
        done[todo[found]] = True
    out_coords = np.column_stack([new, coords[:, 2]])
    out = shapely.transform(geometry, lambda _: out_coords, include_z=True)
    polygonal = np.isin(shapely.get_type_id(out), (3, 6))
    broken = polygonal & ~shapely.is_valid(out)
    if broken.any():
        out[broken] = shapely.make_valid(out[broken], method="structure", keep_collapsed=False)
    return out, int(done.sum())


def _targets(targets: np.ndarray, kind: str) -> np.ndarray:
    if kind == "vertex":
        return shapely.points(shapely.get_coordinates(targets))
    lines = shapely.get_parts(targets)
    polygonal = np.isin(shapely.get_type_id(lines), (3,))
    lines[polygonal] = shapely.boundary(lines[polygonal])
    lines = lines[np.isin(shapely.get_type_id(lines), (1, 2, 5))]
    if kind == "edge":
        return lines
    lines = shapely.get_parts(lines)  # MultiLineString boundaries of holed polygons
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    return ends[~shapely.is_missing(ends)]


def _nearest(xy: np.ndarray, targets: np.ndarray, tolerance_m: float, crs: CRS, *,
             exact_points: bool) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``xy`` with a target within tolerance, the snapped coordinates)."""
    if len(targets) == 0 or len(xy) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros((0, 2))
    points = shapely.points(xy)
    reach = (degrees_covering(tolerance_m, points) if crs.is_geographic
             else tolerance_m / meters_per_unit(crs))
    vertex, target = shapely.STRtree(targets).query(points, predicate="dwithin", distance=reach)
    if len(vertex) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros((0, 2))
    if exact_points:
        spot = shapely.get_coordinates(targets[target])
    elif crs.is_geographic:
        lines = apply_locally(shapely.shortest_line, crs, points[vertex], targets[target])
        spot = shapely.get_coordinates(shapely.get_point(lines, 1))
    else:
        spot = shapely.get_coordinates(
            shapely.get_point(shapely.shortest_line(points[vertex], targets[target]), 1))
    if crs.is_geographic:
        _, _, distance = geod_of(crs).inv(xy[vertex, 0], xy[vertex, 1], spot[:, 0], spot[:, 1])
        distance = np.abs(distance)
    else:
        distance = np.hypot(*(spot - xy[vertex]).T) * meters_per_unit(crs)
    close = distance <= tolerance_m
    vertex, spot, distance = vertex[close], spot[close], distance[close]
    order = np.lexsort((distance, vertex))  # nearest first within each vertex
    vertex, spot = vertex[order], spot[order]
    first = np.r_[True, vertex[1:] != vertex[:-1]] if len(vertex) else np.zeros(0, bool)
    return vertex[first], spot[first]
