"""WPS data <-> the core's neutral values, for one parameter at a time (pure functions).

Decoding gives typed values (numbers, booleans, date-times, measures with the
unit of their ``uom``, a FeatureCollection read from GML) or the core's neutral
JSON forms (GeoJSON, ``{"bbox", "crs"}``). Rendering turns an output value into literal text, complex
content in the chosen format, or a bounding box, plus its raw HTTP body.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from lxml import etree

from honua.adapters.wps import crsnames, formats, gml, wkt
from honua.adapters.wps.model import Data, OutputRequest
from honua.adapters.wps.safexml import parse_xml
from honua.core import codec
from honua.core.json_text import JSONText
from honua.core.parameters import DataType, Parameter
from honua.core.values import ArealUnit, Envelope, File, Geometry, LinearUnit, SpatialReference
from honua.errors import InvalidParameter
from honua.geo.esrijson import featureset, spatialref
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.features import FeatureCollection
from honua.web.json_body import TEXT_VALUE_BYTES
from honua.web.literals import parse_literal

# -- decoding --------------------------------------------------------------------------------


def _naming(function: Any) -> Any:
    """Errors of the wrapped decoder name the parameter (the report's locator)."""

    def wrapper(parameter: Parameter, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(parameter, *args, **kwargs)
        except InvalidParameter as exc:
            exc.parameter = exc.parameter or parameter.name
            raise

    wrapper.__doc__ = function.__doc__
    return wrapper


@_naming
def decode(parameter: Parameter, data: Data) -> Any:
    """The neutral value of one inline input."""
    kind, name = parameter.data_type, parameter.name
    if kind is DataType.ENVELOPE:
        return _bbox(data, name)
    if formats.is_complex(kind):
        if data.kind in ("literal", "bbox"):
            raise InvalidParameter(f"input {name!r} is complex data ({kind.value}); send it as "
                                   "wps:ComplexData", parameter=name)
        return decode_complex(parameter, data.text, data.element, data.mime_type, data.encoding,
                              data.schema)
    if data.kind in ("complex", "bbox") or data.element is not None:
        raise InvalidParameter(f"input {name!r} is literal data ({formats.LITERAL_TYPES[kind]}); "
                               "send it as wps:LiteralData", parameter=name)
    text = (data.text or "").strip()
    if kind in (DataType.LINEAR_UNIT, DataType.AREAL_UNIT):
        measure = LinearUnit if kind is DataType.LINEAR_UNIT else ArealUnit
        if not data.uom:  # "100 meters" or a number in the default unit
            try:
                return measure.coerce(text, f"input {name!r}")
            except InvalidParameter as exc:  # the locator is the input's name
                raise InvalidParameter(exc.message, parameter=name) from None
        number = parse_literal(DataType.DOUBLE, text, name)
        return measure(number, formats.unit_from_uom(kind, data.uom, name))
    return parse_literal(kind, text, name)


def bbox_corners(data: Data, name: str) -> tuple[tuple[float, ...], tuple[float, ...], str | None]:
    """A bounding box's corners and CRS name as sent (``minx,miny,maxx,maxy[,crs]`` in KVP)."""
    if data.corners is not None:
        return data.corners[0], data.corners[1], data.crs
    parts = [p.strip() for p in (data.text or "").split(",")]
    crs_text = parts.pop() if len(parts) in (5, 7) else None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6):
        raise InvalidParameter(f"input {name!r}: a bounding box is minx,miny,maxx,maxy[,crs]",
                               parameter=name)
    half = len(numbers) // 2
    return tuple(numbers[:half]), tuple(numbers[half:]), crs_text


def _bbox(data: Data, name: str) -> dict[str, Any]:
    lower, upper, crs_text = bbox_corners(data, name)
    try:
        wire = crsnames.read_crs(crs_text)
    except InvalidParameter as exc:
        raise InvalidParameter(f"input {name!r}: {exc.message}", parameter=name) from None
    (x1, y1), (x2, y2) = lower[:2], upper[:2]
    if wire.swap:
        x1, y1, x2, y2 = y1, x1, y2, x2
    return {"bbox": [x1, y1, x2, y2], "crs": wire.crs}


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidParameter(f"input {name!r}: the data is not UTF-8 text", parameter=name) from None


def _unbase64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter(f"input {name!r}: the data is not valid base64", parameter=name) from None


def decode_complex(parameter: Parameter, text: str | None, element: Any, mime_type: str | None,
                   encoding: str | None, schema: str | None) -> Any:
    """A complex input (inline or fetched) as a neutral or typed value."""
    name, base64_encoded = parameter.name, (encoding or "").lower() == "base64"
    if parameter.data_type is DataType.FILE:
        data = (etree.tostring(element) if element is not None
                else _unbase64(text or "", name) if base64_encoded else (text or "").encode("utf-8"))
        return File(name=name, media_type=mime_type or "application/octet-stream", data=data)
    hint = formats.codec_hint(mime_type, schema) if (mime_type or schema) else None
    if (mime_type or schema) and (hint is None or hint in ("esrijson", "binary")):
        offered = ", ".join(sorted({f.mime_type for f in formats.formats(parameter.data_type,
                                                                          output=False)}))
        raise InvalidParameter(f"input {name!r}: format {mime_type or schema!r} cannot be read; "
                               f"use one of: {offered}", parameter=name)
    if element is None and base64_encoded:
        text = _text(_unbase64(text or "", name), name)
    where = f"input {name!r}"
    if element is None:
        body = (text or "").strip()
        sniffed = hint if hint not in (None, "text") else (
            "gml" if body.startswith("<") else "geojson" if body.startswith(("{", "[")) else "wkt")
        if sniffed == "geojson" and len(body) > TEXT_VALUE_BYTES and body.startswith("{"):
            return JSONText(body.encode("utf-8"))  # decoded and checked in the worker
        if sniffed == "geojson":
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise InvalidParameter(f"{where}: not valid JSON: {exc}", parameter=name) from None
        if sniffed == "wkt":
            shape, crs = wkt.read_geometry(body, where=where)
            return _typed(parameter, FeatureCollection.from_geometries([shape], crs=crs))
        element = parse_xml(body, what=where)
    return _typed(parameter, gml.read_features(element, where=where))


def _typed(parameter: Parameter, collection: FeatureCollection) -> Any:
    if parameter.data_type is DataType.GEOMETRY:
        return Geometry.only_one(collection, parameter.name)
    return collection


@_naming
def decode_bytes(parameter: Parameter, content: bytes, mime_type: str | None,
                 encoding: str | None = None, schema: str | None = None) -> Any:
    """A fetched reference's body as a value of ``parameter``'s type."""
    if parameter.data_type is DataType.FILE:
        return File(name=parameter.name, media_type=mime_type or "application/octet-stream",
                    data=content)
    text = _text(content, parameter.name)
    if formats.is_complex(parameter.data_type):
        return decode_complex(parameter, text, None, mime_type, encoding, schema)
    return decode(parameter, Data("any", text=text, mime_type=mime_type))


# -- rendering -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    """One output value ready for a document (text/element) or a raw body."""

    kind: str  # "literal" | "complex" | "bbox"
    body: bytes
    mime_type: str
    text: str | None = None
    element: Any = None
    encoding: str | None = None
    schema: str | None = None
    uom: str | None = None
    data_type: str | None = None
    crs: str | None = None
    corners: tuple[tuple[float, ...], tuple[float, ...]] | None = None


def literal_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, LinearUnit | ArealUnit):
        return repr(value.value)
    if isinstance(value, SpatialReference):
        return value.name
    return str(value)


def render(parameter: Parameter, value: Any, request: OutputRequest | None) -> Rendered:
    kind = parameter.data_type
    if kind is DataType.ENVELOPE:
        return _render_bbox(value)
    if not formats.is_complex(kind):
        text = literal_text(value)
        uom = (formats.uom_name(kind, value.unit) if isinstance(value, LinearUnit | ArealUnit)
               else None)
        return Rendered("literal", text.encode("utf-8"), "text/plain; charset=utf-8", text=text,
                        uom=uom, data_type=formats.LITERAL_TYPES.get(kind, "string"))
    request = request or OutputRequest(parameter.name)
    fmt = formats.choose(kind, request.mime_type, request.schema, output=True, name=parameter.name)
    return _render_complex(parameter, value, fmt)


def _render_bbox(value: Envelope) -> Rendered:
    name, swap = crsnames.urn_name(value.crs)
    lower, upper = (value.minx, value.miny), (value.maxx, value.maxy)
    if swap:
        lower, upper = (lower[1], lower[0]), (upper[1], upper[0])
    text = ",".join(repr(float(v)) for v in (*lower, *upper)) + f",{name}"
    return Rendered("bbox", text.encode(), "text/plain; charset=utf-8", text=text, crs=name,
                    corners=(lower, upper))


_ESRI_ALL = featureset.WriteOptions(return_z=True, maximum_records=sys.maxsize)
"""WPS has no transfer limit: an Esri JSON output holds every feature."""


def _esri_geometry(value: Geometry) -> dict[str, Any]:
    written = esrigeom.write(np.array([value.shape], dtype=object), return_z=True)[0] or {}
    return {**written, "spatialReference": spatialref.write(value.crs)}


def _render_complex(parameter: Parameter, value: Any, fmt: formats.Format) -> Rendered:
    if isinstance(value, JSONText):  # GeoJSON the worker wrote (core.json_text)
        if fmt.codec == "geojson":
            return Rendered("complex", value.data, fmt.mime_type, text=value.data.decode(),
                            encoding=fmt.encoding, schema=fmt.schema)
        value = parameter.convert(orjson.loads(value.data))  # asked in another format
    if isinstance(value, File):
        data = value.read()
        return Rendered("complex", data, value.media_type, text=base64.b64encode(data).decode(),
                        encoding="base64")
    is_geometry = isinstance(value, Geometry)
    if fmt.codec in ("gml32", "gml2"):
        version = "3.2" if fmt.codec == "gml32" else "2"
        element = (gml.write_geometry(value.shape, value.crs, version) if is_geometry
                   else gml.write_features(value, version))
        return Rendered("complex", etree.tostring(element, encoding="UTF-8"), fmt.mime_type,
                        element=element, encoding=fmt.encoding, schema=fmt.schema)
    if fmt.codec == "wkt":
        text = wkt.write_geometry(value.shape) if is_geometry else wkt.write_features(value)
    elif fmt.codec == "esrijson":
        text = orjson.dumps(_esri_geometry(value) if is_geometry
                            else featureset.write(value, _ESRI_ALL)).decode()
    else:
        text = orjson.dumps(codec.to_neutral(parameter.data_type, value),
                            option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return Rendered("complex", text.encode("utf-8"), fmt.mime_type, text=text,
                    encoding=fmt.encoding, schema=fmt.schema)
