"""Local projections: planar work on lon/lat data that stays true on the ground.

Buffers, Voronoi cells and triangulations are planar constructions. On a
geographic CRS they are done in a conformal projection local to the data, on
the CRS's own datum, and the result is projected back:

* ``zone_of`` / ``zone_transformers``: the 6-degree transverse Mercator band
  of each geometry (polar azimuthal equidistant beyond 80 degrees of
  latitude); scale error below 0.1 % within the band;
* ``centred_transformers``: one transverse Mercator centred on a longitude,
  for constructions that must see every feature at once (Voronoi, Delaunay);
* ``transformer_pair``: the one builder of (forward, backward) transformers to a
  local projection, shared with ``honua.geo.metric``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import (
    AzimuthalEquidistantConversion,
    TransverseMercatorConversion,
)

NORTH_POLAR = -1
SOUTH_POLAR = -2


def zone_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Local projection key per position: -1 north polar, -2 south polar, else 6-degree band.

    >>> zone_of(np.array([0.5, 179.9, 10.0]), np.array([0.0, 0.0, 85.0])).tolist()
    [30, 59, -1]
    """
    band = np.floor((np.asarray(x, dtype=float) + 180.0) / 6.0).astype(int) % 60
    band[np.asarray(y) > 80.0] = NORTH_POLAR
    band[np.asarray(y) < -80.0] = SOUTH_POLAR
    return band


def transformer_pair(crs: CRS, conversion: object, proj: str) -> tuple[Transformer, Transformer]:
    """(forward, backward) between ``crs`` and the local projection.

    On a lon/lat CRS in degrees from Greenwich the pair is a PROJ pipeline
    (``proj``, on the CRS's ellipsoid), built in microseconds; otherwise an
    operation between two CRS objects, which costs a catalogue search of a
    few tenths of a second (cached).
    """
    if _plain_degrees(crs):
        ellipsoid = crs.ellipsoid
        assert ellipsoid is not None  # _plain_degrees checked it
        shape = f"+a={ellipsoid.semi_major_metre!r} +b={ellipsoid.semi_minor_metre!r}"
        projection = f"{proj} {shape}"
        forward = Transformer.from_pipeline(
            f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {projection}")
        backward = Transformer.from_pipeline(
            f"+proj=pipeline +step +inv {projection} +step +proj=unitconvert +xy_in=rad "
            "+xy_out=deg")
        return forward, backward
    local = ProjectedCRS(conversion=conversion, geodetic_crs=crs.geodetic_crs)
    forward = Transformer.from_crs(crs, local, always_xy=True)
    backward = Transformer.from_crs(local, crs, always_xy=True)
    return forward, backward


def _plain_degrees(crs: CRS) -> bool:
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else None
    meridian = crs.prime_meridian.longitude if crs.prime_meridian is not None else None
    return (crs.is_geographic and crs.ellipsoid is not None and unit is not None
            and abs(unit - np.pi / 180.0) < 1e-12 and meridian == 0.0)


@lru_cache(maxsize=128)
def zone_transformers(crs: CRS, zone: int) -> tuple[Transformer, Transformer]:
    """(to local, back to ``crs``) for a key of ``zone_of``."""
    if zone in (NORTH_POLAR, SOUTH_POLAR):
        latitude = 90.0 if zone == NORTH_POLAR else -90.0
        return transformer_pair(crs, AzimuthalEquidistantConversion(latitude_natural_origin=latitude),
                     f"+proj=aeqd +lat_0={latitude:g} +lon_0=0 +x_0=0 +y_0=0")
    meridian = zone * 6.0 - 177.0
    return transformer_pair(crs, TransverseMercatorConversion(
        latitude_natural_origin=0.0, longitude_natural_origin=meridian,
        scale_factor_natural_origin=0.9996, false_easting=500000.0,
    ), f"+proj=tmerc +lat_0=0 +lon_0={meridian!r} +k=0.9996 +x_0=500000 +y_0=0")


@lru_cache(maxsize=32)
def centred_transformers(crs: CRS, longitude: float, latitude: float) -> tuple[Transformer, Transformer]:
    """(to local, back) for a projection centred on (``longitude``, ``latitude``).

    Transverse Mercator on the central meridian, or azimuthal equidistant on
    the pole when the centre lies beyond 80 degrees of latitude.
    """
    if abs(latitude) > 80.0:
        pole = 90.0 if latitude > 0 else -90.0
        return transformer_pair(crs, AzimuthalEquidistantConversion(latitude_natural_origin=pole),
                     f"+proj=aeqd +lat_0={pole:g} +lon_0=0 +x_0=0 +y_0=0")
    return transformer_pair(crs, TransverseMercatorConversion(
        latitude_natural_origin=0.0, longitude_natural_origin=longitude,
        scale_factor_natural_origin=1.0,
    ), f"+proj=tmerc +lat_0=0 +lon_0={longitude!r} +k=1 +x_0=0 +y_0=0")


def apply(transformer: Transformer, geometry: np.ndarray) -> np.ndarray:
    """``geometry`` with every coordinate transformed (x/y order); missing stays missing."""
    return shapely.transform(
        geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))
