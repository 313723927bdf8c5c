"""Buffers whose distance is measured on the ground.

On a projected CRS the buffer is planar, with the distance converted from
metres into the CRS's own unit. On a geographic CRS (lon/lat):

* points get a true geodesic circle: every vertex is the point reached by
  travelling ``distance`` metres along the ellipsoid at evenly spaced azimuths
  (``pyproj.Geod.fwd``, vectorised over all points and azimuths at once);
* other geometries are buffered in a local transverse Mercator projection
  centred on their 6-degree longitude band (polar azimuthal equidistant beyond
  80 degrees of latitude), on the CRS's own datum, then projected back. Scale
  error stays below 0.1 % for geometries within their band.

Circles near the antimeridian keep continuous longitudes (they may run past
+/-180) rather than being split; circles that would enclose a pole are not
supported.
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

from honua.geo.crs import meters_per_unit

CAP_STYLES = ("round", "flat", "square")
JOIN_STYLES = ("round", "mitre", "bevel")


def buffer(
    geometry: np.ndarray,
    distance_m: float | np.ndarray,
    crs: CRS,
    *,
    quad_segs: int = 16,
    cap_style: str = "round",
    join_style: str = "round",
    single_sided: bool = False,
) -> np.ndarray:
    """Buffer every geometry by ``distance_m`` metres on the ground.

    ``distance_m`` is a scalar or one value per geometry. Missing geometries
    stay missing; empty ones give empty polygons; a non-positive distance on
    a point or line gives an empty polygon, on a polygon it shrinks it.

    >>> import shapely
    >>> from honua.geo.crs import parse_crs
    >>> ring = buffer(np.array([shapely.Point(0, 0)]), 100.0, parse_crs(4326))[0]
    >>> round(ring.bounds[3] * 111_000)  # about 100 m north of the equator
    100
    """
    geometry = np.asarray(geometry, dtype=object)
    distance = np.broadcast_to(np.asarray(distance_m, dtype=float), geometry.shape)
    if not crs.is_geographic:
        return shapely.buffer(
            geometry, distance / meters_per_unit(crs), quad_segs=quad_segs,
            cap_style=cap_style, join_style=join_style, single_sided=single_sided,
        )
    out = np.empty(geometry.shape, dtype=object)
    present = ~shapely.is_missing(geometry)
    kinds = shapely.get_type_id(geometry)
    round_points = present & (kinds == 0) & ~shapely.is_empty(geometry) & (cap_style == "round")
    if round_points.any():
        out[round_points] = geodesic_circles(
            geometry[round_points], distance[round_points], crs, 4 * quad_segs
        )
    rest = present & ~round_points
    if rest.any():
        out[rest] = _buffer_locally(
            geometry[rest], distance[rest], crs,
            dict(quad_segs=quad_segs, cap_style=cap_style, join_style=join_style,
                 single_sided=single_sided),
        )
    return out


def geodesic_circles(points: np.ndarray, radius_m: np.ndarray, crs: CRS, vertices: int) -> np.ndarray:
    """Polygons approximating the geodesic circle of ``radius_m`` around each point."""
    geod = crs.get_geod()
    xy = shapely.get_coordinates(points)
    n = len(xy)
    azimuths = np.linspace(0.0, -360.0, vertices, endpoint=False)  # clockwise -> CCW ring
    lon = np.repeat(xy[:, 0], vertices)
    lat = np.repeat(xy[:, 1], vertices)
    az = np.tile(azimuths, n)
    dist = np.repeat(np.maximum(radius_m, 0.0), vertices)
    lon2, lat2, _ = geod.fwd(lon, lat, az, dist)
    lon2 = np.asarray(lon2).reshape(n, vertices)
    lat2 = np.asarray(lat2).reshape(n, vertices)
    # keep longitudes continuous around the centre (no jump at the antimeridian)
    lon2 = xy[:, :1] + (lon2 - xy[:, :1] + 180.0) % 360.0 - 180.0
    ring = np.stack([lon2, lat2], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    circles = shapely.polygons(ring)
    circles[np.asarray(radius_m) <= 0] = shapely.Polygon()
    return circles


def _zone_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Local projection key per geometry: -1 north polar, -2 south polar, else 6-degree band."""
    band = np.floor((np.asarray(x) + 180.0) / 6.0).astype(int) % 60
    band[np.asarray(y) > 80.0] = -1
    band[np.asarray(y) < -80.0] = -2
    return band


@lru_cache(maxsize=128)
def _local_transformers(crs: CRS, zone: int) -> tuple[Transformer, Transformer]:
    if zone == -1:
        conversion = AzimuthalEquidistantConversion(latitude_natural_origin=90.0)
    elif zone == -2:
        conversion = AzimuthalEquidistantConversion(latitude_natural_origin=-90.0)
    else:
        conversion = TransverseMercatorConversion(
            latitude_natural_origin=0.0, longitude_natural_origin=zone * 6.0 - 177.0,
            scale_factor_natural_origin=0.9996, false_easting=500000.0,
        )
    local = ProjectedCRS(conversion=conversion, geodetic_crs=crs.geodetic_crs)
    forward = Transformer.from_crs(crs, local, always_xy=True)
    backward = Transformer.from_crs(local, crs, always_xy=True)
    return forward, backward


def _apply(transformer: Transformer, geometry: np.ndarray) -> np.ndarray:
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def _buffer_locally(geometry: np.ndarray, distance: np.ndarray, crs: CRS, options: dict) -> np.ndarray:
    centre = shapely.centroid(geometry)
    empty = shapely.is_empty(geometry)
    x = np.where(empty, 0.0, shapely.get_x(shapely.point_on_surface(centre)))
    y = np.where(empty, 0.0, shapely.get_y(shapely.point_on_surface(centre)))
    zones = _zone_of(np.nan_to_num(x), np.nan_to_num(y))
    out = np.empty(geometry.shape, dtype=object)
    for zone in np.unique(zones):
        mask = zones == zone
        forward, backward = _local_transformers(crs, int(zone))
        local = _apply(forward, geometry[mask])
        buffered = shapely.buffer(local, distance[mask], **options)
        out[mask] = _apply(backward, buffered)
    return out
