"""What each core data type looks like in WPS: complex formats, literal types, UOMs, CRSs.

One table per concern, read by the description encoders (to advertise) and by
the payload codecs (to choose how to read or write a value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from honua.adapters.wps.crsnames import CRS84_URI
from honua.core.parameters import DataType
from honua.errors import InvalidParameter
from honua.geo import units


@dataclass(frozen=True)
class Format:
    """A complex data format: its WPS triple, and the codec that reads/writes it."""

    codec: str  # "geojson" | "gml32" | "gml2" | "wkt" | "esrijson" | "binary"
    mime_type: str
    encoding: str | None = None
    schema: str | None = None
    readable: bool = True


GEOJSON = Format("geojson", "application/geo+json", "UTF-8")
GEOJSON_PLAIN = Format("geojson", "application/json", "UTF-8")
GML32 = Format("gml32", "application/gml+xml; version=3.2", "UTF-8",
               "http://schemas.opengis.net/gml/3.2.1/gml.xsd")
GML2 = Format("gml2", "text/xml; subtype=gml/2.1.2", "UTF-8",
              "http://schemas.opengis.net/gml/2.1.2/feature.xsd")
WKT = Format("wkt", "application/wkt", "UTF-8")
ESRIJSON = Format("esrijson", "application/json", "UTF-8",
                  "https://developers.arcgis.com/documentation/common-data-types/featureset-object.htm",
                  readable=False)
BINARY = Format("binary", "application/octet-stream", "base64")

GEOGRAPHIC = (GEOJSON, GML32, GML2, WKT, GEOJSON_PLAIN, ESRIJSON)
COMPLEX: dict[DataType, tuple[Format, ...]] = {
    DataType.FEATURES: GEOGRAPHIC,
    DataType.GEOMETRY: GEOGRAPHIC,
    DataType.FILE: (BINARY,),
}
# Names clients use for these formats besides the advertised ones (lower case, no spaces).
_ALIASES: dict[str, str] = {
    "application/vnd.geo+json": "geojson", "application/geojson": "geojson",
    "application/gml+xml": "gml", "text/xml": "gml", "application/xml": "gml",
    "text/xml;subtype=gml/3.2": "gml32", "text/xml;subtype=gml/3.2.1": "gml32",
    "application/gml-3.2": "gml32", "application/gml+xml;version=3.2": "gml32",
    "text/xml;subtype=gml/2.1.2": "gml2", "application/gml-2.1.2": "gml2",
    "text/xml;subtype=gml/2.1.2;charset=utf-8": "gml2",
    "application/wkt": "wkt", "text/plain;subtype=wkt": "wkt", "text/wkt": "wkt",
    "text/plain": "text",
}


def is_complex(data_type: DataType) -> bool:
    return data_type in COMPLEX


def formats(data_type: DataType, *, output: bool) -> tuple[Format, ...]:
    """The formats offered for a complex data type (outputs may add write-only ones)."""
    return tuple(f for f in COMPLEX.get(data_type, ()) if output or f.readable)


def _norm(mime: str) -> str:
    """A media type compared loosely: lower case, no spaces, no charset."""
    parts = [p for p in re.sub(r"\s+", "", mime.lower()).split(";") if p and not p.startswith("charset=")]
    return ";".join(parts)


def codec_hint(mime_type: str | None, schema: str | None) -> str | None:
    """The codec a mime type / schema pair points to (``gml`` = sniff the version), if any."""
    if schema:
        lowered = schema.lower()
        if "/gml/3.2" in lowered:
            return "gml32"
        if "/gml/2." in lowered:
            return "gml2"
        if "featureset" in lowered or "esri" in lowered:
            return "esrijson"
    if not mime_type:
        return None
    norm = _norm(mime_type)
    if norm in _ALIASES:
        return _ALIASES[norm]
    for fmt in GEOGRAPHIC + (BINARY,):
        if _norm(fmt.mime_type) == norm:
            return fmt.codec
    return None


def choose(data_type: DataType, mime_type: str | None, schema: str | None,
           *, output: bool, name: str) -> Format:
    """The format a request asks for (the default when it names none)."""
    offered = formats(data_type, output=output)
    if not (mime_type or schema):
        return offered[0]
    norm = _norm(mime_type) if mime_type else None
    exact = [f for f in offered if (norm is None or _norm(f.mime_type) == norm)
             and (schema is None or f.schema == schema)]
    if exact:  # application/json alone means GeoJSON; with Esri's schema, Esri JSON
        return min(exact, key=lambda f: f.schema is not None and schema is None)
    hint = codec_hint(mime_type, schema)
    hint = "gml32" if hint == "gml" else hint
    for fmt in offered:
        if fmt.codec in (hint, "binary"):  # a file may be of any media type
            return fmt
    advertised = ", ".join(sorted({f.mime_type for f in offered}))
    raise InvalidParameter(
        f"{'output' if output else 'input'} {name!r}: format {mime_type or schema!r} is not "
        f"supported; use one of: {advertised}", parameter=name)


# -- literal data --------------------------------------------------------------------------

XS = "http://www.w3.org/2001/XMLSchema#"
LITERAL_TYPES: dict[DataType, str] = {
    DataType.STRING: "string", DataType.INTEGER: "integer", DataType.DOUBLE: "double",
    DataType.BOOLEAN: "boolean", DataType.DATETIME: "dateTime", DataType.LINEAR_UNIT: "double",
    DataType.AREAL_UNIT: "double", DataType.SPATIAL_REFERENCE: "anyURI",
}

# canonical unit -> (UOM name on the wire, EPSG unit code or None)
LINEAR_UOMS: dict[str, tuple[str, str | None]] = {
    "meters": ("metre", "9001"), "kilometers": ("kilometre", "9036"),
    "centimeters": ("centimetre", "1033"), "millimeters": ("millimetre", "1025"),
    "decimeters": ("decimetre", None), "feet": ("foot", "9002"),
    "us_survey_feet": ("US_survey_foot", "9003"), "inches": ("inch", None),
    "yards": ("yard", "9096"), "miles": ("mile", "9093"), "nautical_miles": ("nautical_mile", "9030"),
}
AREAL_UOMS: dict[str, str] = {
    "square_meters": "square_metre", "square_kilometers": "square_kilometre",
    "hectares": "hectare", "ares": "are", "acres": "acre", "square_feet": "square_foot",
    "square_yards": "square_yard", "square_miles": "square_mile", "square_inches": "square_inch",
    "square_centimeters": "square_centimetre", "square_millimeters": "square_millimetre",
}
_EPSG_UOM = re.compile(r"(?:urn:ogc:def:uom:EPSG::|https?://www\.opengis\.net/def/uom/EPSG/[^/]*/)(\d+)$",
                       re.I)


def uom_reference(canonical: str) -> str | None:
    code = LINEAR_UOMS.get(canonical, ("", None))[1]
    return f"urn:ogc:def:uom:EPSG::{code}" if code else None


def uom_name(data_type: DataType, canonical: str) -> str:
    if data_type is DataType.LINEAR_UNIT:
        return LINEAR_UOMS[canonical][0]
    return AREAL_UOMS[canonical]


def unit_from_uom(data_type: DataType, uom: str, name: str) -> str:
    """The core's canonical unit for a UOM as a client wrote it (name, alias or EPSG URN)."""
    text = uom.strip()
    epsg = _EPSG_UOM.match(text)
    if data_type is DataType.LINEAR_UNIT:
        for canonical, (wire, code) in LINEAR_UOMS.items():
            if (epsg and code == epsg.group(1)) or text.lower() == wire.lower():
                return canonical
    elif data_type is DataType.AREAL_UNIT:
        for canonical, wire in AREAL_UOMS.items():
            if text.lower() == wire.lower():
                return canonical
    try:
        if data_type is DataType.LINEAR_UNIT:
            return units.linear_unit(text.replace("metre", "meter"))
        return units.areal_unit(text.replace("metre", "meter"))
    except InvalidParameter:
        names = ([w for w, _ in LINEAR_UOMS.values()] if data_type is DataType.LINEAR_UNIT
                 else list(AREAL_UOMS.values()))
        raise InvalidParameter(f"input {name!r}: unknown unit of measure {uom!r}; use one of: "
                               f"{', '.join(names)}", parameter=name) from None


# -- bounding boxes ------------------------------------------------------------------------

SUPPORTED_CRS = (CRS84_URI, "urn:ogc:def:crs:EPSG::4326", "EPSG:4326",
                 "urn:ogc:def:crs:EPSG::3857")
