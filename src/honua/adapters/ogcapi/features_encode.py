"""Catalog layers and features -> OGC API - Features Part 1 / Part 3 JSON (pure functions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import orjson

from honua.adapters.ogcapi.encode import FEATURES_CONFORMANCE, JSON, link
from honua.core.catalog import LayerInfo
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection
from honua.geo.geojson import feature_dicts
from honua.geo.precision import DEFAULT, Precision
from honua.geo.reproject import to_crs

GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = FEATURES_CONFORMANCE
REL = "http://www.opengis.net/def/rel/ogc/1.0/"

_JSON_TYPES = {"integer": {"type": "integer"}, "double": {"type": "number"},
               "boolean": {"type": "boolean"}, "string": {"type": "string"},
               "datetime": {"type": "string", "format": "date-time"},
               "date": {"type": "string", "format": "date"}, "json": {}}
_GEOMETRY_FORMATS = {"Point": "geometry-point", "MultiPoint": "geometry-multipoint",
                     "LineString": "geometry-linestring", "MultiLineString": "geometry-multilinestring",
                     "Polygon": "geometry-polygon", "MultiPolygon": "geometry-multipolygon"}


def collection(layer: LayerInfo, base: str) -> dict[str, Any]:
    href = f"{base}/api/collections/{layer.id}"
    document: dict[str, Any] = {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [CRS84_URI],
        "storageCrs": CRS84_URI,
        "links": [
            link(href, "self", "This collection"),
            link(f"{href}/items", "items", "The features", GEOJSON),
            link(f"{href}/queryables", REL + "queryables", "Properties usable in filters",
                 SCHEMA_JSON),
            link(f"{base}/api/collections", "collection", "All collections"),
        ],
    }
    if layer.extent is not None:
        document["extent"] = {"spatial": {"bbox": [list(layer.extent)], "crs": CRS84_URI}}
    if layer.registered:
        document["honua:registered"] = {
            "owner": layer.owner,
            "created": _stamp(layer.created),
            "expires": _stamp(layer.expires),
        }
        if layer.job_id:  # the job whose output this is (gone once the job expired)
            document["honua:registered"]["jobID"] = layer.job_id
            document["links"].append(link(f"{base}/api/jobs/{layer.job_id}", "via",
                                          "The job that made this layer"))
    document["honua:featureCount"] = layer.count
    document["honua:geometryType"] = layer.geometry_type
    return document


def collections(layers: Iterable[LayerInfo], base: str) -> dict[str, Any]:
    return {
        "collections": [collection(layer, base) for layer in layers],
        "links": [link(f"{base}/api/collections", "self", "The collections")],
    }


def queryables(layer: LayerInfo, base: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        field.name: {"title": field.name, **_JSON_TYPES.get(field.type, {})}
        for field in layer.fields
    }
    properties["geometry"] = {"title": "Geometry",
                              "format": _GEOMETRY_FORMATS.get(layer.geometry_type, "geometry-any")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/api/collections/{layer.id}/queryables",
        "type": "object",
        "title": layer.title,
        "properties": properties,
        "additionalProperties": False,
    }


def _stamp(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _lonlat(features: FeatureCollection) -> FeatureCollection:
    if features.crs.equals(crs84(), ignore_axis_order=True):
        return features
    return to_crs(features, crs84())


def items(features: FeatureCollection, *, matched: int | None, links: list[dict[str, str]],
          now: dt.datetime, precision: Precision = DEFAULT) -> bytes:
    """A GeoJSON FeatureCollection page (coordinates in CRS84) as bytes."""
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": feature_dicts(_lonlat(features), precision),
        "timeStamp": _stamp(now),
        "numberReturned": len(features),
        "links": links,
    }
    if matched is not None:
        document["numberMatched"] = matched
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def item(features: FeatureCollection, collection_id: str, feature_id: str, base: str,
         precision: Precision = DEFAULT) -> bytes:
    (feature,) = feature_dicts(_lonlat(features), precision)
    href = f"{base}/api/collections/{collection_id}"
    feature["links"] = [link(f"{href}/items/{feature_id}", "self", "This feature", GEOJSON),
                        link(href, "collection", "The collection", JSON)]
    return orjson.dumps(feature, option=orjson.OPT_SERIALIZE_NUMPY)
