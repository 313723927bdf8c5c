"""CRS helpers on top of pyproj: parsing what users type, and ground-unit facts.

Coordinates in Honua's core are always in *x/y order* (easting/longitude
first), whatever the CRS's official axis order; adapters swap axes at the wire
only where their format demands it (e.g. GML with EPSG:4326).
"""

from __future__ import annotations

from functools import lru_cache

from pyproj import CRS, Geod
from pyproj.exceptions import CRSError

from honua.errors import InvalidParameter

CRS84 = "OGC:CRS84"


@lru_cache(maxsize=256)
def _parse(text: str) -> CRS:
    return CRS.from_user_input(text)


def parse_crs(value: object) -> CRS:
    """A pyproj CRS from an EPSG code, ``EPSG:n``, URN/URI, WKT, PROJ string or CRS.

    Idempotent: a CRS passes through unchanged.

    >>> parse_crs(4326).to_epsg(), parse_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84").name
    (4326, 'WGS 84 (CRS84)')
    """
    if isinstance(value, CRS):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"EPSG:{value}"
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.isdigit():
            text = f"EPSG:{text}"
    else:
        raise InvalidParameter(f"a spatial reference is needed, got {value!r}")
    try:
        return _parse(text)
    except CRSError:
        raise InvalidParameter(
            f"unknown spatial reference {value!r}: give an EPSG code (e.g. 4326), "
            "an OGC URN/URI or WKT"
        ) from None


def crs84() -> CRS:
    return _parse(CRS84)


def crs_name(crs: CRS) -> str:
    """A short, re-parseable name: ``EPSG:n`` / ``OGC:CRS84`` when known, else WKT."""
    authority = crs.to_authority(min_confidence=90)
    if authority:
        return f"{authority[0]}:{authority[1]}"
    return crs.to_wkt()


def is_geographic(crs: CRS) -> bool:
    return bool(crs.is_geographic)


def meters_per_unit(crs: CRS) -> float:
    """Length of one unit of a projected CRS's first axis, in metres."""
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(factor or 1.0)


def geodetic_of(crs: CRS) -> CRS:
    """The geographic CRS under ``crs``, for measuring on the ellipsoid.

    A local (engineering) CRS has none: a clear error rather than a crash.

    >>> geodetic_of(parse_crs(3857)).name
    'WGS 84'
    """
    geodetic = crs.geodetic_crs
    if geodetic is None:
        raise InvalidParameter(
            f"{crs.name!r} is a local coordinate system that is not tied to the Earth: geodesic "
            "measures are impossible on it; use the planar method")
    return geodetic


def geod_of(crs: CRS) -> Geod:
    """The ellipsoid of a geographic ``crs`` for geodesic computations.

    >>> round(geod_of(crs84()).a)
    6378137
    """
    geod = crs.get_geod()
    if geod is None:
        raise ValueError(f"{crs_name(crs)} has no ellipsoid for geodesic computations")
    return geod
