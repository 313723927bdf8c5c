"""Esri JSON feature sets and record sets <-> the core's columnar FeatureCollection.

A feature set is ``{geometryType, spatialReference, fields, features:
[{attributes, geometry}], exceededTransferLimit}``; a record set is the same
without geometry. The object-id field (``esriFieldTypeOID``) becomes the
collection's ``ids`` on the way in and is written first on the way out.
Inputs may omit the schema (Esri's own examples are as small as
``{"features": [{"geometry": {"x": 0, "y": 0}}]}``): the geometry type then
comes from the geometries, the spatial reference from the first geometry that
carries one, else WGS 84 when the coordinates fit longitude/latitude. Unknown
keys (``symbol``, ``popupTemplate``, ``editable`` ...) are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.esrijson import spatialref
from honua.geo.features import FeatureCollection, Field

OID = "esriFieldTypeOID"
# Esri field type -> core field type
_FROM_ESRI = {
    "esriFieldTypeSmallInteger": "integer", "esriFieldTypeInteger": "integer",
    "esriFieldTypeBigInteger": "integer", "esriFieldTypeSingle": "double",
    "esriFieldTypeDouble": "double", "esriFieldTypeString": "string",
    "esriFieldTypeDate": "datetime", "esriFieldTypeDateOnly": "date",
    "esriFieldTypeGUID": "string", "esriFieldTypeGlobalID": "string",
    "esriFieldTypeXML": "string", "esriFieldTypeTimeOnly": "string",
    "esriFieldTypeTimestampOffset": "string",
}
_SKIPPED = {"esriFieldTypeGeometry", "esriFieldTypeBlob", "esriFieldTypeRaster"}
# core field type -> Esri field type
_TO_ESRI = {
    "integer": "esriFieldTypeInteger", "double": "esriFieldTypeDouble",
    "string": "esriFieldTypeString", "boolean": "esriFieldTypeSmallInteger",
    "datetime": "esriFieldTypeDate", "date": "esriFieldTypeDateOnly", "json": "esriFieldTypeString",
}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class WriteOptions:
    """How outputs are written: target CRS is applied before; these shape the JSON."""

    return_z: bool = False
    maximum_records: int = 1000
    geometry_hint: str | None = None
    """The Esri geometry type to declare when the collection holds no geometry."""


# -- reading ----------------------------------------------------------------------------------
def _fields(document: Mapping[str, Any], where: str) -> list[Mapping[str, Any]]:
    fields = document.get("fields") or []
    if not isinstance(fields, list) or not all(isinstance(f, Mapping) and "name" in f
                                               for f in fields):
        raise InvalidParameter(f"{where}: 'fields' must be an array of {{name, type}} objects")
    return fields


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EPOCH + dt.timedelta(milliseconds=value)
    return value


def _crs(document: Mapping[str, Any], geometries: Sequence[Any], where: str,
         default: CRS | None) -> CRS | None:
    declared = document.get("spatialReference")
    if declared is None:
        declared = next((g["spatialReference"] for g in geometries
                         if isinstance(g, Mapping) and g.get("spatialReference")), None)
    if declared is None:
        return default
    try:
        return spatialref.read(declared)
    except InvalidParameter as exc:
        raise InvalidParameter(f"{where}: {exc.message}") from None


def _guess_crs(collection_bounds: tuple[float, float, float, float] | None, where: str) -> CRS:
    if collection_bounds is None or (
            collection_bounds[0] >= -180.0 and collection_bounds[2] <= 180.0
            and collection_bounds[1] >= -90.0 and collection_bounds[3] <= 90.0):
        return spatialref.from_wkid(4326)
    raise InvalidParameter(f"{where}: the features have no spatialReference and their "
                           "coordinates are not longitude/latitude; add e.g. "
                           '"spatialReference": {"wkid": 3857}')


def _read_geometries(features: list[Any], geometry_type: str | None, has_z: bool,
                     where: str) -> np.ndarray:
    geometries = [f.get("geometry") for f in features]
    if geometry_type in (None, esrigeom.POINT) and geometries:
        fast = esrigeom.read_points(geometries, has_z)
        if fast is not None:
            return fast
    out = np.empty(len(geometries), dtype=object)
    for i, geometry in enumerate(geometries):
        out[i] = esrigeom.read(geometry, f"{where}: feature {i}", expected=geometry_type,
                               has_z=has_z)
    return out


def unwrap(document: Any, where: str) -> Mapping[str, Any]:
    """The feature set inside what a client sent (JSON text, a feature-collection layer...)."""
    if isinstance(document, str | bytes):
        try:
            document = orjson.loads(document)
        except orjson.JSONDecodeError as exc:
            raise InvalidParameter(f"{where}: not valid JSON ({exc})") from None
    if isinstance(document, Mapping) and isinstance(document.get("featureSet"), Mapping):
        layer = document.get("layerDefinition") or {}
        document = {**layer, **document["featureSet"]} if isinstance(layer, Mapping) \
            else document["featureSet"]
    if not isinstance(document, Mapping):
        raise InvalidParameter(f"{where}: expected a feature set object "
                               '{"features": [...], "geometryType": ..., "spatialReference": ...}')
    if "features" not in document:
        raise InvalidParameter(f"{where}: a feature set needs a 'features' array")
    return document


def read(document: Any, where: str, *, default_crs: CRS | None = None,
         tabular: bool = False) -> FeatureCollection:
    """A FeatureCollection from an Esri feature set (or record set, ``tabular``)."""
    document = unwrap(document, where)
    features = document["features"]
    if not isinstance(features, list) or not all(isinstance(f, Mapping) for f in features):
        raise InvalidParameter(f"{where}: 'features' must be an array of {{attributes, geometry}}")
    geometry_type = document.get("geometryType") or None
    if geometry_type is not None and geometry_type not in esrigeom.GEOMETRY_TYPES:
        raise InvalidParameter(f"{where}: unknown geometryType {geometry_type!r}; use one of "
                               f"{', '.join(esrigeom.GEOMETRY_TYPES)}")
    if tabular:
        geometry = np.full(len(features), None, dtype=object)
    else:
        geometry = _read_geometries(features, geometry_type, bool(document.get("hasZ")), where)
    fields = _fields(document, where)
    attributes = [f.get("attributes") or {} for f in features]
    if not all(isinstance(a, Mapping) for a in attributes):
        raise InvalidParameter(f"{where}: feature attributes must be JSON objects")
    declared = {f["name"]: f.get("type") for f in fields}
    oid = next((name for name, kind in declared.items() if kind == OID),
               document.get("objectIdFieldName"))
    if oid is None and attributes and "OBJECTID" in attributes[0]:
        oid = "OBJECTID"
    names = [n for n, kind in declared.items() if kind != OID and kind not in _SKIPPED]
    seen = set(names) | {oid}
    for a in attributes:
        for name in a:
            if name not in seen:
                seen.add(name)
                names.append(name)
    columns: dict[str, list[Any]] = {}
    core_fields = []
    for name in names:
        kind = _FROM_ESRI.get(declared.get(name) or "")
        values = [a.get(name) for a in attributes]
        if kind == "datetime":
            values = [_epoch_ms(v) for v in values]
        columns[name] = values
        if kind:
            core_fields.append(Field(name, kind))
    ids = [a.get(oid) for a in attributes] if oid else None
    crs = _crs(document, [f.get("geometry") for f in features], where, default_crs)
    if crs is None:
        present = geometry[~shapely.is_missing(geometry)]
        box = shapely.total_bounds(present) if len(present) else None
        crs = _guess_crs(None if box is None or np.isnan(box).any() else tuple(box), where)
    return FeatureCollection(geometry, columns, crs,
                             ids if ids and any(i is not None for i in ids) else None,
                             tuple(core_fields))


# -- writing ----------------------------------------------------------------------------------
def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "datetime":
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        if isinstance(value, dt.datetime):
            stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return int(round((stamp - EPOCH).total_seconds() * 1000))
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if kind == "boolean" and isinstance(value, bool):
        return int(value)
    if kind == "json" and not isinstance(value, str):
        return orjson.dumps(value).decode()
    return value


def _oid_name(columns: Mapping[str, Any]) -> str:
    name, n = "OBJECTID", 0
    while name in columns:
        n += 1
        name = f"OBJECTID_{n}"
    return name


def schema(collection: FeatureCollection | None, oid: str = "OBJECTID") -> list[dict[str, Any]]:
    """The Esri ``fields`` of a collection, object id first."""
    fields: list[dict[str, Any]] = [oid_field(oid)]
    if collection is None:
        return fields
    for field in collection.fields:
        longest = max((len(str(v)) for v in collection.columns[field.name] if v is not None),
                      default=0)
        fields.append(field_entry(field.name, field.type, longest))
    return fields


def oid_field(oid: str) -> dict[str, Any]:
    """The object-id field named ``oid``, first of a feature set's fields."""
    return {"name": oid, "type": OID, "alias": oid}


def field_entry(name: str, kind: str, longest: int) -> dict[str, Any]:
    """The Esri field of attribute ``name`` of neutral type ``kind`` whose longest value
    is ``longest`` characters as text (a string field is never shorter than 255)."""
    entry: dict[str, Any] = {"name": name, "type": _TO_ESRI.get(kind, "esriFieldTypeString"),
                             "alias": name}
    if entry["type"] == "esriFieldTypeString":
        entry["length"] = max(255, longest)
    return entry


def object_id_name(names: Sequence[str]) -> str:
    """The object-id field's name: ``OBJECTID``, or ``OBJECTID_n`` when an attribute has it."""
    return _oid_name(dict.fromkeys(names))


def _object_ids(collection: FeatureCollection) -> list[Any]:
    ids = collection.ids
    if ids is not None and all(isinstance(i, int | np.integer) and not isinstance(i, bool)
                               for i in ids) and len(set(ids)) == len(ids):
        return [int(i) for i in ids]
    return list(range(1, len(collection) + 1))


def head(geometry_type: str | None, crs: CRS, has_z: bool, fields: list[dict[str, Any]], *,
         tabular: bool) -> dict[str, Any]:
    """A feature set's members but its features and ``exceededTransferLimit``."""
    document: dict[str, Any] = {"displayFieldName": ""}
    if not tabular:
        if geometry_type:
            document["geometryType"] = geometry_type
        document["spatialReference"] = spatialref.write(crs)
        document["hasZ"] = has_z
        document["hasM"] = False
    document["fields"] = fields
    return document


def features(collection: FeatureCollection, kinds: Mapping[str, str], oid: str,
             ids: Sequence[int], *, tabular: bool, return_z: bool,
             whole: tuple[str | None, bool] | None = None) -> list[dict[str, Any]]:
    """The Esri features of ``collection``: attributes in the order of ``kinds`` (neutral type
    by name; a name the collection lacks is null), the object ids ``ids``. ``whole``: the
    geometry type and Z of the set when the collection is only a part of it."""
    names = list(kinds)
    missing = [None] * len(collection)
    columns = [[_value(v, kinds[n]) for v in collection.columns.get(n, missing)] for n in names]
    kind, include_z = whole if whole is not None else (None, None)
    geometries = None if tabular else esrigeom.write(collection.geometry, return_z=return_z,
                                                     kind=kind, include_z=include_z)
    written: list[dict[str, Any]] = []
    for i, object_id in enumerate(ids):
        attributes = {oid: object_id}
        for name, column in zip(names, columns, strict=True):
            attributes[name] = column[i]
        feature: dict[str, Any] = {"attributes": attributes}
        if geometries is not None:
            feature["geometry"] = geometries[i]
        written.append(feature)
    return written


def write(collection: FeatureCollection, options: WriteOptions, *,
          tabular: bool = False) -> dict[str, Any]:
    """An Esri feature set (``tabular``: record set) of ``collection``.

    Beyond ``maximum_records`` features the set is empty and says
    ``exceededTransferLimit``, as ArcGIS GP services do.
    """
    oid = _oid_name(collection.columns)
    geometry_type, include_z = None, False
    if not tabular:
        geometry_type = esrigeom.family(collection.geometry) or options.geometry_hint
        include_z = options.return_z and bool(shapely.has_z(collection.geometry[
            ~shapely.is_missing(collection.geometry)]).any())
    document = head(geometry_type, collection.crs, include_z, schema(collection, oid),
                    tabular=tabular)
    exceeded = len(collection) > options.maximum_records
    types = {f.name: f.type for f in collection.fields}
    document["features"] = [] if exceeded else features(
        collection, {n: types.get(n, "string") for n in collection.columns}, oid,
        _object_ids(collection), tabular=tabular, return_z=options.return_z)
    document["exceededTransferLimit"] = exceeded
    return document


def layer_definition(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A feature-collection layer (``returnFeatureCollection``) around a written feature set."""
    oid = next((f["name"] for f in document["fields"] if f["type"] == OID), "OBJECTID")
    definition: dict[str, Any] = {"name": name, "type": "Feature Layer", "objectIdField": oid,
                                  "fields": document["fields"]}
    if "geometryType" in document:
        definition["geometryType"] = document["geometryType"]
    if "spatialReference" in document:
        definition["spatialReference"] = document["spatialReference"]
    return {"layerDefinition": definition, "featureSet": document}
