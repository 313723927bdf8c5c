"""Esri spatial references <-> pyproj CRS.

On the wire a spatial reference is ``{"wkid": n}``, ``{"latestWkid": n}``,
``{"wkt": "..."}`` or, in request parameters such as ``env:outSR``, a bare WKID.
Web Mercator goes by several ids (102100, 102113, 900913, 3857); ArcGIS writes
it ``{"wkid": 102100, "latestWkid": 3857}`` and so do we. Ids that EPSG does not
know are looked up in pyproj's ESRI authority. Core coordinates are x/y
(longitude first) whatever the CRS, which is also Esri's order.

>>> write(read({"wkid": 102100})), write(read("4326"))
({'wkid': 102100, 'latestWkid': 3857}, {'wkid': 4326, 'latestWkid': 4326})
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson
from pyproj import CRS
from pyproj.exceptions import CRSError

from honua.errors import InvalidParameter

WEB_MERCATOR_IDS = frozenset({102100, 102113, 900913, 3857})
_HINT = "give a WKID such as 4326 or 3857, or {\"wkid\": n} or {\"wkt\": \"...\"}"


@lru_cache(maxsize=256)
def from_wkid(wkid: int) -> CRS:
    """The CRS of an Esri WKID; raises InvalidParameter for an unknown id."""
    if wkid in WEB_MERCATOR_IDS:
        wkid = 3857
    for authority in ("EPSG", "ESRI"):
        try:
            return CRS.from_user_input(f"{authority}:{wkid}")
        except CRSError:
            continue
    raise InvalidParameter(f"unknown spatial reference wkid {wkid}; {_HINT}")


@lru_cache(maxsize=64)
def _from_wkt(wkt: str) -> CRS:
    try:
        return CRS.from_wkt(wkt)
    except CRSError:
        raise InvalidParameter(f"the spatial reference WKT cannot be read; {_HINT}") from None


def _wkid(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidParameter(f"a spatial reference wkid must be a number, got {value!r}; {_HINT}")
    try:
        number = float(value)
    except ValueError:
        raise InvalidParameter(f"{value!r} is not a spatial reference; {_HINT}") from None
    if not number.is_integer() or number <= 0:
        raise InvalidParameter(f"{value!r} is not a valid wkid; {_HINT}")
    return int(number)


def read(value: Any) -> CRS:
    """A CRS from an SR object, a bare WKID (number or text) or the JSON text of either."""
    if isinstance(value, CRS):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise InvalidParameter(f"the spatial reference {text!r} is not valid JSON; "
                                       f"{_HINT}") from None
        elif text.upper().startswith(("PROJCS", "GEOGCS", "PROJCRS", "GEOGCRS")):
            return _from_wkt(text)
        else:
            return from_wkid(_wkid(text))
    if isinstance(value, Mapping):
        for key in ("latestWkid", "wkid"):
            if value.get(key) is not None:
                return from_wkid(_wkid(value[key]))
        for key in ("wkt", "wkt2"):
            if isinstance(value.get(key), str) and value[key].strip():
                return _from_wkt(value[key].strip())
        raise InvalidParameter(f"the spatial reference {dict(value)!r} has no wkid or wkt; {_HINT}")
    return from_wkid(_wkid(value))


_WRITTEN: dict[int, tuple[CRS, tuple[tuple[str, Any], ...]]] = {}


def _write(crs: CRS) -> tuple[tuple[str, Any], ...]:
    # keyed by identity: hashing a pyproj CRS serialises it to WKT (tens of microseconds),
    # and the CRS objects of a request come from the parsers' caches anyway
    entry = _WRITTEN.get(id(crs))
    if entry is not None and entry[0] is crs:
        return entry[1]
    if len(_WRITTEN) > 256:
        _WRITTEN.clear()
    written = _describe(crs)
    _WRITTEN[id(crs)] = (crs, written)
    return written


def _describe(crs: CRS) -> tuple[tuple[str, Any], ...]:
    authority = crs.to_authority(min_confidence=90)
    if authority and authority[0] in ("EPSG", "OGC", "ESRI"):
        code = 4326 if authority == ("OGC", "CRS84") else int(authority[1]) \
            if authority[1].isdigit() else None
        if code == 3857:
            return (("wkid", 102100), ("latestWkid", 3857))
        if code is not None and authority[0] == "ESRI":
            return (("wkid", code),)
        if code is not None:
            return (("wkid", code), ("latestWkid", code))
    return (("wkt", crs.to_wkt("WKT1_ESRI") or crs.to_wkt()),)


def write(crs: CRS) -> dict[str, Any]:
    """The Esri SR object of ``crs`` (WKID when it has one, else ESRI WKT)."""
    return dict(_write(crs))
