"""GeoJSON <-> FeatureCollection, vectorised where shapely allows.

Reading accepts a FeatureCollection, a Feature, a bare geometry or a list of
features; a legacy ``crs`` member (``{"type": "name", "properties": {"name": ...}}``)
is honoured, otherwise coordinates are CRS84 (lon/lat) as RFC 7946 says.
Writing emits a FeatureCollection; a collection not in WGS 84 lon/lat carries the
legacy ``crs`` member so that GDAL and older clients read it back correctly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.crs import CRS84, crs84, crs_name, parse_crs
from honua.geo.features import FeatureCollection
from honua.geo.precision import Precision, rounded_geometry

GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
     "GeometryCollection"}
)


def parse_geometries(geometries: list[Any], *, where: str = "features") -> np.ndarray:
    """A shapely array from GeoJSON geometry dicts (``None`` stays missing).

    Points are built in one array call; other types go through shapely's
    GeoJSON reader in one vectorised call.
    """
    out = np.empty(len(geometries), dtype=object)
    if not geometries:
        return out
    try:
        if all(type(g) is dict and g.get("type") == "Point" for g in geometries):
            coordinates = [g.get("coordinates") for g in geometries]
            width = len(coordinates[0]) if isinstance(coordinates[0], list) else 0
            if width in (2, 3) and all(type(c) is list and len(c) == width for c in coordinates):
                return shapely.points(np.array(coordinates, dtype=float))
        present = [i for i, g in enumerate(geometries) if g is not None]
        texts = []
        for i in present:
            g = geometries[i]
            if not isinstance(g, dict) or g.get("type") not in GEOMETRY_TYPES:
                raise InvalidParameter(
                    f"{where}: feature {i} has no valid GeoJSON geometry "
                    f"(type must be one of {', '.join(sorted(GEOMETRY_TYPES))})"
                )
            texts.append(orjson.dumps(g))
        if texts:
            out[present] = shapely.from_geojson(np.array(texts, dtype=object))
    except InvalidParameter:
        raise
    except (shapely.errors.GEOSException, ValueError, TypeError, KeyError) as exc:
        raise InvalidParameter(f"{where}: invalid GeoJSON geometry: {exc}") from None
    return out


def _crs_of(document: Mapping[str, Any], default: CRS | None) -> CRS:
    member = document.get("crs")
    if isinstance(member, Mapping):
        name = (member.get("properties") or {}).get("name")
        if name:
            return parse_crs(name)
    elif isinstance(member, str | int):
        return parse_crs(member)
    return default or crs84()


def crs_of_member(text: bytes | None, where: str = "features") -> CRS:
    """The CRS a FeatureCollection's ``crs`` member names, from its JSON text (None: the
    collection has none), for readers that meet the member apart from the features."""
    if not text:
        return crs84()
    try:
        member = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"{where}: not valid JSON: {exc}") from None
    return _crs_of({"crs": member}, None)


def read_features(document: Any, *, where: str = "features", crs: Any = None) -> FeatureCollection:
    """A FeatureCollection from a parsed GeoJSON document (or ``bytes``/``str`` of one)."""
    if isinstance(document, bytes | str):
        try:
            document = orjson.loads(document)
        except orjson.JSONDecodeError as exc:
            raise InvalidParameter(f"{where}: not valid JSON: {exc}") from None
    default = parse_crs(crs) if crs is not None else None
    if isinstance(document, list):
        document = {"type": "FeatureCollection", "features": document}
    if not isinstance(document, Mapping):
        raise InvalidParameter(f"{where}: expected a GeoJSON object, got {type(document).__name__}")
    kind = document.get("type")
    features: list[Any]
    if kind in GEOMETRY_TYPES:
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    elif kind == "Feature":
        features = [document]
    elif kind == "FeatureCollection":
        listed = document.get("features")
        if not isinstance(listed, list):
            raise InvalidParameter(f"{where}: a FeatureCollection needs a 'features' array")
        features = listed
    else:
        raise InvalidParameter(
            f"{where}: expected a GeoJSON FeatureCollection, Feature or geometry, got type {kind!r}"
        )
    for i, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InvalidParameter(f"{where}: item {i} of 'features' is not a GeoJSON Feature")
    geometry = parse_geometries([f.get("geometry") for f in features], where=where)
    props = [f.get("properties") or {} for f in features]
    names: dict[str, None] = {}
    for p in props:
        if type(p) is not dict:
            raise InvalidParameter(f"{where}: feature properties must be JSON objects")
        names.update(dict.fromkeys(p))
    columns = {name: [p.get(name) for p in props] for name in names}
    ids = [f.get("id") for f in features]
    return FeatureCollection(
        geometry, columns, _crs_of(document, default),
        ids if any(i is not None for i in ids) else None,
    )


_EMPTY_POLYGON = '{"type":"Polygon","coordinates":[[]]}'


def _geometry_fragments(geometry: np.ndarray, decimals: int | None = None) -> list[Any]:
    texts = shapely.to_geojson(rounded_geometry(geometry, decimals))
    # GEOS writes an empty polygon with one empty ring, which is not valid GeoJSON
    texts[texts == _EMPTY_POLYGON] = '{"type":"Polygon","coordinates":[]}'
    return [orjson.Fragment(t) if t is not None else None for t in texts]


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def feature_dicts(collection: FeatureCollection,
                  precision: Precision | None = None) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts (geometries as pre-serialised fragments), for embedding;
    coordinates rounded as ``precision`` says for the collection's CRS (None: as they are)."""
    decimals = precision.decimals(collection.crs) if precision is not None else None
    geometries = _geometry_fragments(collection.geometry, decimals)
    names = list(collection.columns)
    columns = [collection.columns[n] for n in names]
    ids = collection.ids
    features = []
    for i, geometry in enumerate(geometries):
        feature: dict[str, Any] = {"type": "Feature"}
        if ids is not None and ids[i] is not None:
            feature["id"] = _jsonable(ids[i])
        feature["geometry"] = geometry
        feature["properties"] = {n: _jsonable(c[i]) for n, c in zip(names, columns, strict=True)}
        features.append(feature)
    return features


def crs_member(crs: CRS) -> dict[str, Any] | None:
    """The legacy ``crs`` member for ``crs``; None for WGS 84 lon/lat (RFC 7946's default).

    EPSG:4326 gets none either: the core's coordinates are x/y, so they are CRS84's, and
    ``urn:ogc:def:crs:EPSG::4326`` would tell URN-aware clients to read them as lat/lon.
    """
    name = crs_name(crs)
    if name in (CRS84, "EPSG:4326"):
        return None
    return {"type": "name", "properties": {"name": _urn(name)}}


def feature_collection_dict(collection: FeatureCollection,
                            precision: Precision | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection dict (for ``orjson.dumps``)."""
    document: dict[str, Any] = {"type": "FeatureCollection",
                                "features": feature_dicts(collection, precision)}
    member = crs_member(collection.crs)
    if member is not None:
        document["crs"] = member
    return document


def write_features(collection: FeatureCollection, precision: Precision | None = None) -> bytes:
    """GeoJSON bytes of a FeatureCollection (compact: no spaces, no indentation)."""
    return orjson.dumps(feature_collection_dict(collection, precision),
                        option=orjson.OPT_SERIALIZE_NUMPY)


def _urn(name: str) -> str:
    if ":" in name and not name.startswith(("PROJCRS", "GEOGCRS", "urn:")):
        authority, code = name.split(":", 1)
        return f"urn:ogc:def:crs:{authority}::{code}"
    return name
