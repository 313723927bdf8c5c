"""Esri JSON geometries <-> shapely.

Esri geometries are points (``x``/``y``), multipoints (``points``), polylines
(``paths``: every part of every line) and polygons (``rings``: every ring of
every part, flat). ArcGIS orients exterior rings clockwise and holes
counter-clockwise (y up) and draws with the even-odd rule. Reading therefore
nests rings by containment, which gives the same polygons for well-oriented
input and still the right ones for input written the GeoJSON way round.
Writing orients rings the ArcGIS way and closes them.

Writing is vectorised per geometry family (``shapely.to_ragged_array``); a
feature set holds one family, so mixing points and polygons in one output is
an error that says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import shapely

from honua.errors import InvalidParameter, NotSupported

POINT, MULTIPOINT = "esriGeometryPoint", "esriGeometryMultipoint"
POLYLINE, POLYGON, ENVELOPE = "esriGeometryPolyline", "esriGeometryPolygon", "esriGeometryEnvelope"
GEOMETRY_TYPES = (POINT, MULTIPOINT, POLYLINE, POLYGON, ENVELOPE)

# shapely type id -> Esri geometry type
_FAMILY = {0: POINT, 4: MULTIPOINT, 1: POLYLINE, 5: POLYLINE, 3: POLYGON, 6: POLYGON}
_KEYS = (("rings", POLYGON), ("paths", POLYLINE), ("points", MULTIPOINT), ("x", POINT),
         ("xmin", ENVELOPE))


def kind_of(geometry: Mapping[str, Any]) -> str | None:
    """The Esri geometry type a geometry object's keys say it is."""
    return next((kind for key, kind in _KEYS if key in geometry), None)


def _coords(value: Any, where: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameter(f"{where}: coordinates must be arrays of numbers") from None
    if array.ndim != 2 or array.shape[1] < 2:
        raise InvalidParameter(f"{where}: coordinates must be [x, y] (or [x, y, z]) arrays")
    if not np.isfinite(array[:, :2]).all():
        raise InvalidParameter(f"{where}: coordinates must be finite numbers")
    return array[:, :3] if array.shape[1] >= 3 else array


def _point(geometry: Mapping[str, Any], has_z: bool, where: str) -> shapely.Geometry:
    x, y = geometry.get("x"), geometry.get("y")
    if x is None or (isinstance(x, str) and x.lower() == "nan"):
        return shapely.Point()
    z = geometry.get("z")
    values = [x, y, z] if has_z and z is not None else [x, y]
    return shapely.points(_coords([values], where)[0])


def _nest_rings(rings: list[shapely.LinearRing]) -> shapely.Geometry:
    """Polygons from flat rings by the even-odd rule (a ring inside one shell is its hole)."""
    if len(rings) == 1:
        return shapely.Polygon(rings[0])
    ordered = sorted(rings, key=lambda r: -abs(shapely.area(shapely.Polygon(r))))
    shells: list[tuple[shapely.Polygon, list[shapely.LinearRing]]] = []
    for ring in ordered:
        inside = [s for s in shells if shapely.contains(s[0], shapely.Polygon(ring))]
        holes_of = [s for s in inside
                    if not any(shapely.contains(shapely.Polygon(h), shapely.Polygon(ring))
                               for h in s[1])]
        if holes_of:
            holes_of[-1][1].append(ring)
        else:
            shells.append((shapely.Polygon(ring), []))
    parts = [shapely.Polygon(shell.exterior, holes) for shell, holes in shells]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _polygon(rings: Any, where: str) -> shapely.Geometry:
    if not isinstance(rings, list):
        raise InvalidParameter(f"{where}: 'rings' must be an array of rings")
    built = []
    for ring in rings:
        coords = _coords(ring, where) if ring else np.empty((0, 2))
        if len(coords) == 0:
            continue
        if len(coords) < 3:
            raise InvalidParameter(f"{where}: a polygon ring needs at least 3 points")
        built.append(shapely.linearrings(coords))
    return _nest_rings(built) if built else shapely.Polygon()


def _polyline(paths: Any, where: str) -> shapely.Geometry:
    if not isinstance(paths, list):
        raise InvalidParameter(f"{where}: 'paths' must be an array of paths")
    lines = []
    for path in paths:
        coords = _coords(path, where) if path else np.empty((0, 2))
        if len(coords) == 1:
            raise InvalidParameter(f"{where}: a polyline path needs at least 2 points")
        if len(coords):
            lines.append(shapely.linestrings(coords))
    if not lines:
        return shapely.LineString()
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)


def _envelope(geometry: Mapping[str, Any], where: str) -> shapely.Geometry:
    try:
        box = [float(geometry[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
    except (KeyError, TypeError, ValueError):
        raise InvalidParameter(f"{where}: an envelope needs numeric xmin, ymin, xmax, ymax") from None
    return shapely.box(*box)


def read(geometry: Any, where: str, *, expected: str | None = None,
         has_z: bool = False) -> shapely.Geometry | None:
    """A shapely geometry from an Esri geometry object (``None`` for a null geometry).

    ``expected`` is the feature set's ``geometryType``: a geometry of another
    family is refused (envelopes are read as polygons).
    """
    if geometry is None:
        return None
    if not isinstance(geometry, Mapping):
        raise InvalidParameter(f"{where}: a geometry must be a JSON object")
    kind = kind_of(geometry)
    if kind is None:
        raise InvalidParameter(f"{where}: not an Esri geometry (expected x/y, points, paths or "
                               "rings)")
    if expected and kind != expected and not (expected == POLYGON and kind == ENVELOPE):
        raise InvalidParameter(f"{where}: the geometry is {kind} but the feature set's "
                               f"geometryType is {expected}")
    has_z = has_z or bool(geometry.get("hasZ"))
    if kind == POINT:
        return _point(geometry, has_z, where)
    if kind == MULTIPOINT:
        points = geometry["points"]
        if not points:
            return shapely.MultiPoint()
        return shapely.multipoints(_coords(points, where))
    if kind == POLYLINE:
        return _polyline(geometry["paths"], where)
    if kind == ENVELOPE:
        return _envelope(geometry, where)
    return _polygon(geometry["rings"], where)


def read_points(geometries: Sequence[Any], has_z: bool) -> np.ndarray | None:
    """Fast path: an array of points when every geometry is a plain ``{x, y}`` object."""
    xyz: list[tuple[Any, ...]]
    try:
        if has_z:
            xyz = [(g["x"], g["y"], g.get("z", 0.0)) for g in geometries]
        else:
            xyz = [(g["x"], g["y"]) for g in geometries]
        coords = np.array(xyz, dtype=float)
    except (TypeError, KeyError, ValueError):
        return None
    if coords.ndim != 2 or not np.isfinite(coords).all():
        return None
    return cast(np.ndarray, shapely.points(coords))


# -- writing ----------------------------------------------------------------------------------
def family(geometry: np.ndarray) -> str | None:
    """The one Esri geometry type of an array (None when it holds no geometry)."""
    return family_of_types(set(shapely.get_type_id(geometry).tolist()))


def family_of_types(type_ids: set[int]) -> str | None:
    """The one Esri geometry type of geometries of the shapely type ids ``type_ids`` (-1:
    missing), as ``family`` says it of an array holding them."""
    found = {_FAMILY.get(int(i)) for i in (type_ids - {-1})}
    kinds = {k for k in found if k is not None}
    if None in found:
        raise NotSupported("geometry collections cannot be written as Esri JSON; ask for GeoJSON")
    if kinds == {POINT, MULTIPOINT}:
        return MULTIPOINT
    if len(kinds) > 1:
        raise NotSupported(
            f"the output mixes {' and '.join(sorted(kinds))}; an Esri feature set holds one "
            "geometry type (ask for GeoJSON for mixed outputs)")
    return kinds.pop() if kinds else None


def _nested(coords: list[Any], offsets: np.ndarray) -> list[list[Any]]:
    return [coords[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def write(geometry: np.ndarray, *, return_z: bool = False, kind: str | None = None,
          include_z: bool | None = None) -> list[dict[str, Any] | None]:
    """Esri geometry objects of a geometry array (missing -> None), rings oriented the ArcGIS way.

    The set's geometry type and whether it has Z are the array's own, unless the array is
    a part of a bigger set, whose ``kind`` and ``include_z`` are then given (points of a
    multipoint set are written as multipoints, 2D geometries of a set with Z get z)."""
    out: list[dict[str, Any] | None] = [None] * len(geometry)
    present = np.flatnonzero(~shapely.is_missing(geometry))
    if len(present) == 0:
        return out
    kind = kind or family(geometry[present])
    assert kind is not None  # present holds geometries
    geoms = geometry[present]
    if include_z is None:
        include_z = bool(return_z and shapely.has_z(geoms).any())
    empty = shapely.is_empty(geoms)
    if kind == POINT:
        coords = shapely.get_coordinates(geoms, include_z=include_z).tolist()
        keys = ("x", "y", "z") if include_z else ("x", "y")
        values = iter(coords)
        for i, is_empty in zip(present, empty, strict=True):
            out[i] = {"x": None, "y": None} if is_empty else dict(zip(keys, next(values), strict=True))
        return out
    if kind == POLYGON:
        geoms = shapely.orient_polygons(geoms, exterior_cw=True)
    extra = {"hasZ": True} if include_z else {}
    key = {POLYGON: "rings", POLYLINE: "paths", MULTIPOINT: "points"}[kind]
    parts = _parts_few(geoms, kind, include_z) if len(geoms) <= FEW else \
        _parts_many(geoms, kind, include_z)
    for i, value in zip(present, parts, strict=True):
        out[i] = {**extra, key: value}
    return out


FEW = 32
"""Below this many geometries a per-geometry loop beats the ragged-array set-up."""


def _parts_few(geoms: np.ndarray, kind: str, include_z: bool) -> list[list[Any]]:
    out = []
    for geometry in geoms:
        if kind == MULTIPOINT:
            out.append(shapely.get_coordinates(geometry, include_z=include_z).tolist())
            continue
        if kind == POLYGON:
            lines = [r for p in shapely.get_parts(geometry)
                     for r in shapely.get_rings(p)]
        else:
            lines = list(shapely.get_parts(geometry))
        out.append([shapely.get_coordinates(line, include_z=include_z).tolist()
                    for line in lines])
    return out


def _parts_many(geoms: np.ndarray, kind: str, include_z: bool) -> list[list[Any]]:
    _, coords_array, offsets = shapely.to_ragged_array(geoms, include_z=include_z)
    coords = coords_array.tolist()
    if kind == MULTIPOINT:
        return _nested(coords, offsets[0])
    inner = _nested(coords, offsets[0])          # rings / paths
    if len(offsets) == 1:                          # linestrings: one path each
        per_feature = np.arange(len(geoms) + 1)
    elif len(offsets) == 2:                        # polygons, multilinestrings
        per_feature = offsets[1]
    else:                                          # multipolygons: all rings of all parts
        per_feature = offsets[1][offsets[2]]
    return [inner[a:b] for a, b in zip(per_feature[:-1], per_feature[1:], strict=True)]
