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


def schema_for(parameter: Parameter) -> dict[str, Any]:
    schema = dict(_SCHEMAS[parameter.data_type])
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
