"""WKT (and EWKT's ``SRID=n;`` prefix) <-> geometries, through shapely.

WKT carries no CRS: without a prefix a geometry is read as CRS84 (lon/lat).
With ``SRID=n;`` it is EPSG:n, coordinates in x/y order as PostGIS writes them.
Written WKT is in the value's own CRS, x/y order, at full precision; a
feature collection of several features becomes one GEOMETRYCOLLECTION.
"""

from __future__ import annotations

import re
from typing import Any

import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.crs import crs84, parse_crs
from honua.geo.features import FeatureCollection

_SRID = re.compile(r"^\s*SRID=(\d+)\s*;", re.I)


def read_geometry(text: str, *, where: str = "geometry") -> tuple[Any, CRS]:
    """A shapely geometry and its CRS from WKT or EWKT text."""
    crs = crs84()
    match = _SRID.match(text)
    if match:
        crs = parse_crs(f"EPSG:{match.group(1)}")
        text = text[match.end():]
    try:
        shape = shapely.from_wkt(text.strip())
    except (shapely.errors.GEOSException, ValueError) as exc:
        raise InvalidParameter(f"{where}: not valid WKT: {exc}") from None
    if shape is None:
        raise InvalidParameter(f"{where}: the WKT is empty")
    return shape, crs


def read_features(text: str, *, where: str = "features") -> FeatureCollection:
    shape, crs = read_geometry(text, where=where)
    return FeatureCollection.from_geometries([shape], crs=crs)


def write_geometry(shape: Any) -> str:
    return str(shapely.to_wkt(shape, rounding_precision=-1, trim=True))


def write_features(collection: FeatureCollection) -> str:
    present = [g for g in collection.geometry if g is not None]
    if len(present) == 1:
        return write_geometry(present[0])
    return write_geometry(shapely.GeometryCollection(present))
