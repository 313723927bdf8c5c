"""Which features of one layer relate to which of another: pairs of positions.

Every function answers with index arrays ``(il, ir)``: ``left[il[k]]`` and
``right[ir[k]]`` are related, sorted by ``il`` then ``ir``. Topological
predicates read "left <predicate> right" (``within``: the left feature lies
within the right one). Candidates come from a ``shapely.STRtree`` on the
right layer, queried with the whole left array at once.

Distances are on the ground, in metres: planar times the unit's length on a
projected CRS; on a geographic CRS the nearest points of the two features are
found in a local conformal projection (``honua.geo.local``), with edges taken
as straight lines in lon/lat like every other operation does, and the
geodesic between them is measured on the ellipsoid. Missing and empty geometries relate
to nothing.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import shapely
from pyproj import CRS

from honua.geo import local
from honua.geo.crs import geod_of, meters_per_unit

TOPOLOGICAL = ("intersects", "within", "contains", "touches", "crosses", "overlaps")
PREDICATES = (*TOPOLOGICAL, "within_distance", "nearest")

EDGE_DEGREES = 0.02
"""Longest edge projected as a straight line when measuring on lon/lat data (about 2 km)."""
_METERS_PER_DEGREE_LATITUDE = 110_500.0  # less than the least on any common ellipsoid
_METERS_PER_DEGREE_LONGITUDE = 111_250.0  # times cos(latitude); less than on WGS 84


@overload
def _sorted(il: np.ndarray, ir: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _sorted(il: np.ndarray, ir: np.ndarray, d: np.ndarray, /,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def _sorted(il: np.ndarray, ir: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, ...]:
    """Pairs ordered by ``il`` then ``ir``.

    Tree answers come grouped by ``il`` already; when no left geometry has
    two pairs they are sorted as they are, else one stable sort of a
    combined key (which the near-order makes fast) puts them in order.
    """
    if not len(il) or (il[1:] > il[:-1]).all():
        return (il, ir, *rest)
    order = np.argsort(il.astype(np.int64) * (int(ir.max()) + 1) + ir, kind="stable")
    return (il[order], ir[order], *(r[order] for r in rest))


def _usable(geometry: np.ndarray) -> np.ndarray:
    return ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry)


def related_pairs(left: np.ndarray, right: np.ndarray, predicate: str,
                  tree: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs for which ``predicate(left[il], right[ir])`` holds (a topological predicate).

    >>> boxes = shapely.box(np.array([0, 5]), 0, np.array([1, 6]), 1)
    >>> [a.tolist() for a in related_pairs(np.array([shapely.Point(0.5, 0.5), None]), boxes, "within")]
    [[0], [0]]
    """
    if predicate not in TOPOLOGICAL:
        raise ValueError(f"predicate must be one of {TOPOLOGICAL}, got {predicate!r}")
    tree = tree or shapely.STRtree(right)
    il, ir = tree.query(np.asarray(left, dtype=object), predicate=predicate)
    return _sorted(il, ir)


def ground_distances(a: np.ndarray, b: np.ndarray, crs: CRS) -> np.ndarray:
    """Shortest ground distance in metres between ``a[i]`` and ``b[i]`` (NaN if either is missing/empty).

    >>> from honua.geo.crs import parse_crs
    >>> d = ground_distances(np.array([shapely.Point(0, 0)]), np.array([shapely.Point(0, 1)]),
    ...                      parse_crs(4326))
    >>> round(float(d[0]), 3)  # one degree of latitude at the equator on WGS 84
    110574.389
    """
    ends = nearest_points(a, b, crs)
    if not crs.is_geographic:
        return np.hypot(ends[:, 2] - ends[:, 0], ends[:, 3] - ends[:, 1]) * meters_per_unit(crs)
    out = np.full(len(ends), np.nan)
    ok = ~np.isnan(ends[:, 0])
    _, _, d = geod_of(crs).inv(ends[ok, 0], ends[ok, 1], ends[ok, 2], ends[ok, 3])
    out[ok] = np.abs(d)
    return out


def nearest_points(a: np.ndarray, b: np.ndarray, crs: CRS) -> np.ndarray:
    """``(N, 4)`` array: x, y of the point of ``a[i]`` nearest ``b[i]``, then of ``b[i]``'s.

    On a geographic CRS the pair is the nearest on the ground (found in a
    local conformal projection); NaN where either geometry is missing or empty.
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    out = np.full((len(a), 4), np.nan)
    ok = _usable(a) & _usable(b)
    if not ok.any():
        return out
    if not crs.is_geographic:
        out[ok] = shapely.get_coordinates(shapely.shortest_line(a[ok], b[ok])).reshape(-1, 4)
        return out
    a, b = a[ok], b[ok]
    points = (shapely.get_type_id(a) == 0) & (shapely.get_type_id(b) == 0)
    ends = np.empty((len(a), 4))
    ends[points] = np.column_stack([shapely.get_coordinates(a[points]),
                                    shapely.get_coordinates(b[points])])
    if (~points).any():
        ends[~points] = _nearest_points_locally(a[~points], b[~points], crs)
    out[ok] = ends
    return out


def _nearest_points_locally(a: np.ndarray, b: np.ndarray, crs: CRS) -> np.ndarray:
    """(x_a, y_a, x_b, y_b) of the nearest points, found in ``a``'s local projection.

    Edges are straight in lon/lat, as every other operation takes them: they
    are densified (``EDGE_DEGREES``) before projecting, so that they stay put.
    """
    a = shapely.segmentize(a, EDGE_DEGREES)
    b = shapely.segmentize(b, EDGE_DEGREES)
    minx, miny, maxx, maxy = shapely.bounds(a).T
    zones = local.zone_of((minx + maxx) / 2, (miny + maxy) / 2)
    out = np.empty((len(a), 4))
    for zone in np.unique(zones):
        mask = zones == zone
        forward, backward = local.zone_transformers(crs, int(zone))
        lines = shapely.shortest_line(local.apply(forward, a[mask]), local.apply(forward, b[mask]))
        xy = shapely.get_coordinates(local.apply(backward, lines)).reshape(-1, 4)
        out[mask] = xy
    return out


def _ground_boxes(left: np.ndarray, distance_m: np.ndarray) -> list[np.ndarray]:
    """Lon/lat boxes sure to hold everything within ``distance_m`` of each left geometry.

    Boxes crossing the antimeridian are repeated shifted by 360 degrees.
    """
    minx, miny, maxx, maxy = shapely.bounds(left).T
    dlat = distance_m / _METERS_PER_DEGREE_LATITUDE
    extreme = np.minimum(90.0, np.maximum(np.abs(miny - dlat), np.abs(maxy + dlat)))
    cos = np.cos(np.radians(extreme))
    dlon = np.where(cos > 1e-9, distance_m / (_METERS_PER_DEGREE_LONGITUDE * np.maximum(cos, 1e-9)),
                    360.0)
    dlon = np.minimum(dlon, 360.0)
    box = (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)
    boxes = [shapely.box(*box)]
    west = box[0] < -180.0
    east = box[2] > 180.0
    boxes.append(np.where(west, shapely.box(box[0] + 360, box[1], box[2] + 360, box[3]), None))
    boxes.append(np.where(east, shapely.box(box[0] - 360, box[1], box[2] - 360, box[3]), None))
    return boxes


def within_distance_pairs(left: np.ndarray, right: np.ndarray, distance_m: float | np.ndarray,
                          crs: CRS, tree: shapely.STRtree | None = None,
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs at most ``distance_m`` metres apart on the ground, with their distance in metres.

    ``distance_m`` is a scalar or one value per left geometry.
    """
    left = np.asarray(left, dtype=object)
    tree = tree or shapely.STRtree(right)
    right = tree.geometries
    limit = np.broadcast_to(np.asarray(distance_m, dtype=float), left.shape)
    ok = _usable(left) & (limit >= 0)
    rows = np.flatnonzero(ok)
    if not crs.is_geographic:
        il_found: list[np.ndarray] = [np.empty(0, dtype=np.intp)]
        ir_found: list[np.ndarray] = [np.empty(0, dtype=np.intp)]
        for value in np.unique(limit[ok]):
            at = rows[limit[rows] == value]
            i, j = tree.query(left[at], predicate="dwithin", distance=value / meters_per_unit(crs))
            il_found.append(at[i])
            ir_found.append(j)
        il, ir = np.concatenate(il_found), np.concatenate(ir_found)
        return _sorted(il, ir, ground_distances(left[il], right[ir], crs))
    il_parts, ir_parts = [np.empty(0, dtype=np.intp)], [np.empty(0, dtype=np.intp)]
    for boxes in _ground_boxes(left[rows], limit[rows]):
        at = np.flatnonzero(~shapely.is_missing(boxes))
        i, j = tree.query(boxes[at])
        il_parts.append(rows[at[i]])
        ir_parts.append(j)
    il, ir = np.concatenate(il_parts), np.concatenate(ir_parts)
    if len(il):
        unique = np.unique(np.column_stack([il, ir]), axis=0)
        il, ir = unique[:, 0], unique[:, 1]
    d = ground_distances(left[il], right[ir], crs)
    keep = d <= limit[il]
    return _sorted(il[keep], ir[keep], d[keep])


def nearest_pairs(left: np.ndarray, right: np.ndarray, crs: CRS,
                  max_distance_m: float | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each left geometry, its nearest right one (ties: the lowest position) and the distance.

    Left geometries with nothing within ``max_distance_m`` (or no right
    geometry at all) are absent from the answer. On a geographic CRS the
    nearest in lon/lat is only a first guess: everything closer on the ground
    than it is then measured, and the truly nearest kept.
    """
    left = np.asarray(left, dtype=object)
    tree = shapely.STRtree(right)
    right = tree.geometries
    empty = np.empty(0, dtype=np.intp)
    ok = np.flatnonzero(_usable(left))
    if not len(ok) or not _usable(right).any():
        return empty, empty, np.empty(0)
    if not crs.is_geographic:
        limit = None if max_distance_m is None else max_distance_m / meters_per_unit(crs)
        i, ir = tree.query_nearest(left[ok], max_distance=limit, all_matches=True)
        il = ok[i]
        d = ground_distances(left[il], right[ir], crs)
    else:
        i, guess = tree.query_nearest(left[ok], all_matches=False)
        il0 = ok[i]
        reach = ground_distances(left[il0], right[guess], crs)
        radius = np.full(len(left), -1.0)
        radius[il0] = reach * (1 + 1e-9) + 1e-6
        il, ir, d = within_distance_pairs(left, right, radius, crs, tree)
        if max_distance_m is not None:
            keep = d <= max_distance_m
            il, ir, d = il[keep], ir[keep], d[keep]
    order = np.lexsort((ir, d, il))
    il, ir, d = il[order], ir[order], d[order]
    first = np.r_[True, il[1:] != il[:-1]] if len(il) else np.empty(0, dtype=bool)
    return il[first], ir[first], d[first]
