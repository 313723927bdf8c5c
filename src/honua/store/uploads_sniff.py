"""What a file's bytes really are, whatever its name says: the content sniffing of uploads.

GDAL picks a driver from a file's *content*, so a file named ``roads.kml``
whose bytes are an ``OGRVRTDataSource`` is a virtual dataset that makes GDAL
open other files (``/etc/passwd``, the job store) or URLs (``/vsicurl/...``);
a ``{"type": "gdal_streamed_alg"}`` JSON (GDALG) runs a GDAL pipeline. Such
*indirection* formats are recognised here however they are dressed up --
byte-order marks (UTF-8 or UTF-16), leading blanks, XML declarations and
comments, JSON with other keys first or ``\\uXXXX`` escapes -- so the upload is
refused with a message naming what the file is. The readers open every file
with one named driver only (``honua.store.ogr_isolated``); this check is what
gives the sender a clear answer, and it runs again just before GDAL opens a file.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["GPKG_APPLICATION_IDS", "indirection", "is_geopackage", "xml_root"]

HEAD_BYTES = 65536
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
"""SQLite ``application_id`` of a GeoPackage (1.2+, and 1.0/1.1)."""

_XML_MARKERS = (
    (re.compile(rb"<\s*(?:[\w.-]+:)?OGRVRTDataSource\b", re.I), "an OGR VRT virtual dataset"),
    (re.compile(rb"<\s*(?:[\w.-]+:)?VRTDataset\b", re.I), "a GDAL VRT virtual dataset"),
    (re.compile(rb"<\s*(?:[\w.-]+:)?GDAL_WMS\b", re.I), "a GDAL WMS/tile service description"),
    (re.compile(rb"<\s*(?:[\w.-]+:)?WFS_GetCapabilities\b|<\s*OGRWFSDataSource\b", re.I),
     "a GDAL WFS service description"),
)
_GDALG = re.compile(rb"gdal_streamed_alg", re.I)
_JSON_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")
_XML_PROLOGUE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.S | re.I)
_XML_NAME = re.compile(rb"<\s*(?:([\w.-]+):)?([A-Za-z_][\w.-]*)")


def text_of(head: bytes) -> bytes:
    """``head`` as UTF-8 without a byte-order mark (UTF-16 files re-encoded), unstripped."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            body = head[len(bom):]
            if name == "utf-8":
                return body
            return body[: len(body) // 2 * 2].decode(name, "replace").encode("utf-8")
    if len(head) > 1 and head[1:2] == b"\x00" and head[:1] != b"\x00":  # UTF-16 LE without BOM
        return head[: len(head) // 2 * 2].decode("utf-16-le", "replace").encode("utf-8")
    return head


def indirection(head: bytes) -> str | None:
    """What ``head`` is if it is a dataset that points GDAL elsewhere (VRT, GDALG...), else None.

    >>> indirection(b'\\xef\\xbb\\xbf  <!-- a map --><OGRVRTDataSource>')
    'an OGR VRT virtual dataset'
    >>> indirection(b'{"name": "x", "type": "gdal_streamed_alg"}')
    'a GDALG streamed algorithm (GDAL pipeline)'
    >>> indirection(b'{"type": "FeatureCollection", "features": []}') is None
    True
    """
    text = text_of(head)
    for pattern, what in _XML_MARKERS:
        if pattern.search(text):
            return what
    unescaped = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)).encode("utf-8", "replace"),
                                 text)
    if _GDALG.search(unescaped):
        return "a GDALG streamed algorithm (GDAL pipeline)"
    return None


def xml_root(head: bytes) -> str | None:
    """The local name of the first element of an XML document, past prologue and comments.

    >>> xml_root(b'<?xml version="1.0"?>\\n<!-- x --><kml:kml xmlns:kml="...">')
    'kml'
    >>> xml_root(b'name,lon,lat') is None
    True
    """
    text = text_of(head)
    position = 0
    while (match := _XML_PROLOGUE.match(text, position)) and match.end() > position:
        position = match.end()
    found = _XML_NAME.match(text, position + len(text[position:]) - len(text[position:].lstrip()))
    return found.group(2).decode("ascii", "replace") if found else None


def is_geopackage(head: bytes) -> bool:
    """An SQLite file whose ``application_id`` (header bytes 68-71) says GeoPackage."""
    return head.startswith(b"SQLite format 3\x00") and head[68:72] in GPKG_APPLICATION_IDS
