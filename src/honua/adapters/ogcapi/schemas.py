"""JSON Schemas for process inputs and outputs, one per core data type.

Kept inside the subset OGC's ``schema.yaml`` allows, and free of ``$ref``
(which the 1.0 schema validates ambiguously).
"""

from __future__ import annotations

from typing import Any

from honua.core.parameters import UNBOUNDED, DataType, Parameter
from honua.geo.units import AREAL_UNITS, LINEAR_UNITS

GEOJSON = "application/geo+json"
CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _measure(units: list[str], default_unit: str) -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "number", "description": f"a number in {default_unit}"},
            {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": {"type": "number"},
                    "unit": {"type": "string", "enum": units, "default": default_unit},
                },
            },
        ]
    }


_SCHEMAS: dict[DataType, dict[str, Any]] = {
    DataType.STRING: {"type": "string"},
    DataType.INTEGER: {"type": "integer"},
    DataType.DOUBLE: {"type": "number"},
    DataType.BOOLEAN: {"type": "boolean"},
    DataType.DATETIME: {"type": "string", "format": "date-time"},
    DataType.LINEAR_UNIT: _measure(list(LINEAR_UNITS), "meters"),
    DataType.AREAL_UNIT: _measure(list(AREAL_UNITS), "square_meters"),
    DataType.FEATURES: {"type": "object", "format": "geojson-feature-collection",
                        "contentMediaType": GEOJSON},
    DataType.GEOMETRY: {"type": "object", "format": "geojson-geometry",
                        "contentMediaType": GEOJSON},
    DataType.ENVELOPE: {
        "type": "object", "format": "ogc-bbox", "required": ["bbox"],
        "properties": {
            "bbox": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "crs": {"type": "string", "format": "uri", "default": CRS84_URI},
        },
    },
    DataType.SPATIAL_REFERENCE: {"type": "string",
                                 "description": "EPSG code (e.g. EPSG:4326), OGC CRS URI or WKT"},
    DataType.FILE: {"type": "string", "contentEncoding": "base64",
                    "contentMediaType": "application/octet-stream"},
}

MEDIA_TYPES: dict[DataType, str] = {
    DataType.FEATURES: GEOJSON,
    DataType.GEOMETRY: GEOJSON,
    DataType.FILE: "application/octet-stream",
}


def media_type(data_type: DataType) -> str:
    return MEDIA_TYPES.get(data_type, "application/json")


def accepted_media_types(data_type: DataType) -> tuple[str, ...] | None:
    """Media types an output of ``data_type`` can be returned in (None: any, for files)."""
    if data_type is DataType.FILE:
        return None
    if data_type is DataType.STRING:
        return ("application/json", "text/plain")
    return tuple(dict.fromkeys((media_type(data_type), "application/json")))


# A feature input may also name data already on the server instead of carrying it.
_BY_REFERENCE = [
    {"type": "object", "title": "A catalog layer (collection), optionally filtered",
     "required": ["layerReference"],
     "properties": {"layerReference": {"oneOf": [
         {"type": "string", "description": "collection id"},
         {"type": "object", "required": ["collectionId"], "properties": {
             "collectionId": {"type": "string"},
             "filter": {"description": "CQL2 (JSON object, or text with filter-lang)"},
             "filter-lang": {"type": "string", "enum": ["cql2-text", "cql2-json"]},
             "bbox": {"type": "array", "minItems": 4, "maxItems": 4,
                      "items": {"type": "number"}},
             "properties": {"type": "array", "items": {"type": "string"}}}}]}}},
    {"type": "object", "title": "A file uploaded with POST /api/uploads",
     "required": ["uploadId"], "properties": {"uploadId": {
         "type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"}}},
]


def schema_for(parameter: Parameter, *, as_input: bool = False) -> dict[str, Any]:
    """The JSON Schema of ``parameter``; inputs of features also accept references."""
    schema = dict(_SCHEMAS[parameter.data_type])
    if as_input and parameter.data_type is DataType.FEATURES:
        schema = {"oneOf": [schema, *_BY_REFERENCE]}
    if parameter.allowed_values:
        schema["enum"] = list(parameter.allowed_values)
    if parameter.default is not None and parameter.data_type.is_literal:
        default = parameter.default
        if hasattr(default, "value") and hasattr(default, "unit"):
            default = {"value": default.value, "unit": default.unit}
        schema["default"] = default
    if parameter.multiple:
        schema = {"type": "array", "items": schema}
        if parameter.min_occurs:
            schema["minItems"] = parameter.min_occurs
        if parameter.max_occurs != UNBOUNDED:
            schema["maxItems"] = parameter.max_occurs
    return schema
