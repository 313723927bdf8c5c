"""A minimal, one-way Esri JSON encoder (FeatureCollection / geometry -> JSON).

Only for WPS outputs offered as Esri JSON; the GPServer adapter owns the full
codec and adapters do not import each other. A feature set holds one geometry
type, so a collection that mixes types is refused with a clear message.
Polygon rings follow Esri's orientation: outer rings clockwise, holes
counter-clockwise. CRS84 is written as wkid 4326 (x = longitude, as Esri does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import shapely
from pyproj import CRS

from honua.errors import NotSupported
from honua.geo.crs import CRS84, crs_name
from honua.geo.features import FeatureCollection

_TYPES = {"Point": "esriGeometryPoint", "MultiPoint": "esriGeometryMultipoint",
          "LineString": "esriGeometryPolyline", "MultiLineString": "esriGeometryPolyline",
          "Polygon": "esriGeometryPolygon", "MultiPolygon": "esriGeometryPolygon"}
_FIELDS = {"integer": "esriFieldTypeInteger", "double": "esriFieldTypeDouble",
           "string": "esriFieldTypeString", "boolean": "esriFieldTypeSmallInteger",
           "datetime": "esriFieldTypeDate", "date": "esriFieldTypeDate",
           "json": "esriFieldTypeString"}


def spatial_reference(crs: CRS) -> dict[str, Any]:
    name = crs_name(crs)
    if name == CRS84:
        return {"wkid": 4326}
    if name.startswith("EPSG:"):
        return {"wkid": int(name.split(":", 1)[1])}
    return {"wkt": crs.to_wkt()}


def _coords(shape: Any) -> list[list[float]]:
    return shapely.get_coordinates(shape, include_z=shapely.has_z(shape)).tolist()


def geometry(shape: Any) -> dict[str, Any] | None:
    """The Esri JSON geometry object of one shapely geometry (no spatial reference)."""
    if shape is None or shapely.is_empty(shape):
        return None
    kind = shape.geom_type
    if kind == "Point":
        coords = _coords(shape)[0]
        return dict(zip(("x", "y", "z"), coords, strict=False))
    if kind == "MultiPoint":
        return {"points": _coords(shape)}
    if kind in ("LineString", "MultiLineString"):
        parts = getattr(shape, "geoms", [shape])
        return {"paths": [_coords(p) for p in parts]}
    if kind in ("Polygon", "MultiPolygon"):
        oriented = shapely.orient_polygons(shape, exterior_cw=True)
        polygons = getattr(oriented, "geoms", [oriented])
        return {"rings": [_coords(r) for p in polygons for r in (p.exterior, *p.interiors)]}
    raise NotSupported(f"Esri JSON has no {kind} geometry; choose GeoJSON or GML")


def _type_of(geometries: np.ndarray) -> str:
    kinds = {_TYPES.get(g.geom_type, g.geom_type) for g in geometries
             if g is not None and not shapely.is_empty(g)}
    if len(kinds) > 1:
        raise NotSupported("an Esri JSON feature set holds one geometry type, these features mix "
                           f"{', '.join(sorted(kinds))}; choose GeoJSON or GML")
    return next(iter(kinds), "esriGeometryPolygon")


def _value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def write_features(collection: FeatureCollection) -> bytes:
    """An Esri JSON feature set."""
    names = list(collection.columns)
    fields = [{"name": f.name, "type": _FIELDS.get(f.type, "esriFieldTypeString"), "alias": f.name}
              for f in collection.fields]
    features = []
    for i, shape in enumerate(collection.geometry):
        attributes = {n: _value(collection.columns[n][i]) for n in names}
        features.append({"geometry": geometry(shape), "attributes": attributes})
    return orjson.dumps({"geometryType": _type_of(collection.geometry),
                         "spatialReference": spatial_reference(collection.crs),
                         "fields": fields, "features": features}, default=str)


def write_geometry(shape: Any, crs: CRS) -> bytes:
    document = geometry(shape) or {}
    document["spatialReference"] = spatial_reference(crs)
    return orjson.dumps(document)
