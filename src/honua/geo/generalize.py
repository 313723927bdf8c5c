"""Generalisation with ground tolerances: simplify, densify, smooth.

All three take their distances in metres on the ground. On a geographic CRS
simplify and smooth decide in a local metric projection
(``honua.geo.metric``); densify places new vertices on the geodesic (or on
the straight lon/lat line for ``method="planar"``) with spacing measured
geodesically. On a projected CRS distances are converted to the CRS's unit.

Vertices that an operation keeps (every vertex simplify keeps, the original
vertices densify keeps, the line ends smooth keeps) come back bit-for-bit
as they were — they never take a round trip through another projection —
so features that shared a vertex before still share it.

Missing geometries stay ``None``; empty geometries and points pass through
unchanged.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import shapely
from pyproj import CRS

from honua.geo.crs import geod_of, geodetic_of, meters_per_unit
from honua.geo.metric import coords_from_local, coords_to_local, local_zones, select_locally
from honua.geo.paths import decompose, rebuild
from honua.geo.reproject import transform

__all__ = ["densify", "simplify", "smooth"]


def simplify(geometry: np.ndarray, tolerance_m: float, crs: CRS, *,
             preserve_topology: bool = True) -> np.ndarray:
    """Douglas-Peucker simplification: no vertex of the input lies farther than the tolerance.

    With ``preserve_topology`` each result stays valid (rings do not cross,
    holes stay inside, polygons do not collapse); without it the plain
    algorithm may return invalid or empty polygons. Shared edges between
    neighbouring features are simplified independently.

    >>> from honua.geo.crs import parse_crs
    >>> line = np.array([shapely.LineString([(0, 0), (5, 0.4), (10, 0)]), None])
    >>> simplify(line, 1.0, parse_crs(3857))
    array([<LINESTRING (0 0, 10 0)>, None], dtype=object)
    """
    return select_locally(
        lambda g: shapely.simplify(g, tolerance_m, preserve_topology=preserve_topology),
        crs, geometry)


def densify(geometry: np.ndarray, max_segment_m: float, crs: CRS, *,
            method: Literal["geodesic", "planar"] = "geodesic") -> np.ndarray:
    """Vertices added so that no segment is longer than ``max_segment_m`` on the ground.

    ``geodesic``: new vertices lie on the geodesic between the original ones
    (on a projected CRS they are computed in the CRS's geographic system).
    ``planar``: new vertices lie on the straight segment in the CRS's plane;
    on a geographic CRS their number still follows the geodesic length.
    Longitudes of new vertices continue from the segment's start, so lines
    stored across the antimeridian as 179 -> 181 stay continuous.

    >>> from honua.geo.crs import parse_crs
    >>> line = np.array([shapely.LineString([(0, 0), (0, 1)])])
    >>> len(densify(line, 30_000.0, parse_crs(4326))[0].coords)  # 110.6 km in 4 segments
    5
    """
    geometry = np.asarray(geometry, dtype=object)
    if max_segment_m <= 0:
        raise ValueError("the maximum segment length must be positive")
    if not crs.is_geographic and method == "planar":
        return shapely.segmentize(geometry, max_segment_m / meters_per_unit(crs))
    paths = decompose(geometry)
    coords = paths.coords
    geographic = crs if crs.is_geographic else geodetic_of(crs)
    if not crs.is_geographic and len(coords):
        coords = shapely.get_coordinates(transform(shapely.points(coords), crs, geographic),
                                         include_z=coords.shape[1] == 3)
    out, path, kept = _densify_paths(coords, paths.path, max_segment_m, geographic,
                                     geodesic=method == "geodesic")
    if not crs.is_geographic and len(out):
        moved = transform(shapely.points(out), geographic, crs)
        out = shapely.get_coordinates(moved, include_z=out.shape[1] == 3)
        out[kept] = paths.coords  # original vertices exactly as they were
    return rebuild(paths, out, path)


def _densify_paths(coords: np.ndarray, path: np.ndarray, max_m: float, crs: CRS, *,
                   geodesic: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New coordinates, their path numbers, and where each original vertex went."""
    if len(coords) < 2:
        return coords, path, np.arange(len(coords))
    geod = geod_of(crs)
    starts = np.flatnonzero(path[1:] == path[:-1])
    a, b = coords[starts], coords[starts + 1]
    azimuth, _, length = geod.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    pieces = np.maximum(np.ceil(np.abs(length) / max_m), 1).astype(np.intp)
    extra = np.zeros(len(coords), dtype=np.intp)
    extra[starts] = pieces - 1
    position = np.arange(len(coords)) + np.concatenate([[0], np.cumsum(extra)[:-1]])
    out = np.empty((len(coords) + int(extra.sum()), coords.shape[1]))
    out[position] = coords
    segment = np.repeat(np.arange(len(starts)), pieces - 1)
    step = np.arange(len(segment)) - np.repeat(np.cumsum(pieces - 1) - (pieces - 1), pieces - 1) + 1
    fraction = step / pieces[segment]
    start = a[segment]
    new = start + (b[segment] - start) * fraction[:, None]
    if geodesic and len(segment):
        lon, lat, _ = geod.fwd(start[:, 0], start[:, 1], azimuth[segment],
                               length[segment] * fraction)
        new[:, 0] = start[:, 0] + (np.asarray(lon) - start[:, 0] + 180.0) % 360.0 - 180.0
        new[:, 1] = lat
    out[position[starts[segment]] + step] = new
    return out, np.repeat(path, extra + 1), position


def smooth(geometry: np.ndarray, tolerance_m: float, crs: CRS, *,
           iterations: int = 3) -> np.ndarray:
    """Corners rounded by bounded Chaikin corner cutting.

    Each pass replaces every corner by two points on its segments, at a
    quarter of the segment's length from the corner or at the pass's reach
    if that is shorter; the reach halves from pass to pass (``tolerance_m``
    / 2, / 4, ...), so ``iterations`` passes give a smooth curve that begins
    less than ``tolerance_m`` before each original corner, long straight
    stretches stay straight, and no point moves farther than ``tolerance_m``.
    Line ends stay where they are; rings stay closed. A polygon that the
    rounding makes invalid (very narrow parts) is repaired with ``make_valid``.

    >>> from honua.geo.crs import parse_crs
    >>> corner = np.array([shapely.LineString([(0, 0), (100, 0), (100, 100)])])
    >>> smooth(corner, 20.0, parse_crs(3857), iterations=1)[0].coords[:]
    [(0.0, 0.0), (90.0, 0.0), (100.0, 10.0), (100.0, 100.0)]
    """
    geometry = np.asarray(geometry, dtype=object)
    if tolerance_m <= 0 or iterations < 1:
        return geometry.copy()
    paths = decompose(geometry)
    if not len(paths.coords):
        return geometry.copy()
    zones = local_zones(geometry)[paths.geometry_of_path]
    coords, path = coords_to_local(paths.coords, zones[paths.path], crs), paths.path
    for k in range(1, iterations + 1):
        coords, path = _chaikin(coords, path, paths.closed, tolerance_m / 2.0**k)
    coords = coords_from_local(coords, zones[path], crs)
    # open lines keep their ends: put back the exact original coordinates
    open_ends = ~paths.closed[path] & (
        np.r_[True, path[1:] != path[:-1]] | np.r_[path[1:] != path[:-1], True])
    first = np.r_[True, paths.path[1:] != paths.path[:-1]]
    last = np.r_[paths.path[1:] != paths.path[:-1], True]
    ends = paths.coords[np.sort(np.concatenate([np.flatnonzero(first), np.flatnonzero(last)]))]
    coords[open_ends] = ends.reshape(-1, 2, coords.shape[1])[~paths.closed].reshape(-1, coords.shape[1])
    out = rebuild(paths, coords, path)
    polygonal = np.isin(shapely.get_type_id(out), (3, 6))
    broken = polygonal & ~shapely.is_valid(out)
    if broken.any():
        out[broken] = shapely.make_valid(out[broken], method="structure", keep_collapsed=False)
    return out


def _chaikin(coords: np.ndarray, path: np.ndarray, closed: np.ndarray,
             reach: float) -> tuple[np.ndarray, np.ndarray]:
    """One pass of corner cutting over all paths at once, ordered by a sort key."""
    starts = np.flatnonzero(path[1:] == path[:-1])
    if len(starts) == 0:
        return coords, path
    a, b = coords[starts], coords[starts + 1]
    length = np.hypot(*(b - a)[:, :2].T)
    cut = np.divide(np.minimum(reach, length / 4.0), length, out=np.zeros_like(length),
                    where=length > 0)[:, None]
    q, r = a + (b - a) * cut, b - (b - a) * cut
    seg_path = path[starts]
    first = np.r_[True, seg_path[1:] != seg_path[:-1]]
    last = np.r_[seg_path[1:] != seg_path[:-1], True]
    ring = closed[seg_path]
    # Four key slots per segment (start -1, q 0, r 1, end or ring close 2): with two, a
    # two-point line's end (+1.5) tied with the next path's start (-0.5) and the stable
    # sort put the next path's start first, scrambling both lines.
    key = 4.0 * np.arange(len(starts))
    keep_q, keep_r = ring | ~first, ring | ~last
    keys = [key[keep_q], key[keep_r] + 1.0, key[first & ~ring] - 1.0,
            key[last & ~ring] + 2.0, key[last & ring] + 2.0]
    points = [q[keep_q], r[keep_r], a[first & ~ring], b[last & ~ring],
              q[first & ring][np.cumsum(first & ring)[last & ring] - 1]]
    paths_of = [seg_path[keep_q], seg_path[keep_r], seg_path[first & ~ring],
                seg_path[last & ~ring], seg_path[last & ring]]
    order = np.argsort(np.concatenate(keys), kind="stable")
    return np.concatenate(points)[order], np.concatenate(paths_of)[order]
