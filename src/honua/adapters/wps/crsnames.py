"""CRS names as written in WPS/GML documents, and the axis order each implies.

The core keeps coordinates in x/y order (longitude first) whatever the CRS.
On the wire the order follows the *name*: the OGC URN and URI forms
(``urn:ogc:def:crs:EPSG::4326``, ``http://www.opengis.net/def/crs/EPSG/0/4326``)
mean the authority's axis order (latitude first for EPSG:4326), while the
legacy short forms (``EPSG:4326``, ``http://www.opengis.net/gml/srs/epsg.xml#4326``)
and CRS84 mean x/y, as GML 2 and most older clients assume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.crs import CRS84, crs84, crs_name, parse_crs

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS84_NAMES = frozenset({
    CRS84_URI.lower(), "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84",
    "urn:ogc:def:crs:ogc:2:84", "crs:84", "ogc:crs84", "crs84",
})
_SHORT = re.compile(r"^(?:epsg:|http://www\.opengis\.net/gml/srs/epsg\.xml#)(\d+)$", re.I)
_OFFICIAL = re.compile(
    r"^(?:urn:(?:x-)?ogc:def:crs:epsg:(?:[^:]*:)?|https?://www\.opengis\.net/def/crs/epsg/[^/]*/)(\d+)$",
    re.I)


@dataclass(frozen=True)
class WireCrs:
    """A CRS read from a document and whether its coordinates come y first."""

    crs: CRS
    swap: bool = False


def north_first(crs: CRS) -> bool:
    """Whether the CRS's official first axis is northing/latitude."""
    axes = crs.axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


def read_crs(name: str | None, default: WireCrs | None = None) -> WireCrs:
    """The CRS a ``srsName``/``crs`` attribute names, with its wire axis order."""
    if name is None or not name.strip():
        return default or WireCrs(crs84())
    text = name.strip()
    if text.lower() in CRS84_NAMES:
        return WireCrs(crs84())
    short = _SHORT.match(text)
    if short:
        return WireCrs(parse_crs(f"EPSG:{short.group(1)}"))
    official = _OFFICIAL.match(text)
    if official:
        crs = parse_crs(f"EPSG:{official.group(1)}")
        return WireCrs(crs, north_first(crs))
    try:
        crs = parse_crs(text)
    except InvalidParameter:
        raise InvalidParameter(f"unknown CRS name {name!r}; use e.g. urn:ogc:def:crs:EPSG::4326, "
                               f"EPSG:4326 or {CRS84_URI}") from None
    return WireCrs(crs)


def _epsg(crs: CRS) -> str | None:
    name = crs_name(crs)
    return name.split(":", 1)[1] if name.startswith("EPSG:") else None


def urn_name(crs: CRS) -> tuple[str, bool]:
    """The OGC name used in GML 3.2 and OWS bounding boxes, and whether to write y first."""
    if crs_name(crs) == CRS84:
        return CRS84_URI, False
    code = _epsg(crs)
    if code is None:
        return crs_name(crs), False
    return f"urn:ogc:def:crs:EPSG::{code}", north_first(crs)


def short_name(crs: CRS) -> str:
    """The GML 2 name: ``EPSG:n`` in x/y order; CRS84 is written as EPSG:4326 (lon/lat)."""
    if crs_name(crs) == CRS84:
        return "EPSG:4326"
    code = _epsg(crs)
    return f"EPSG:{code}" if code else crs_name(crs)
