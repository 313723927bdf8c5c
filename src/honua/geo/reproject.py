"""Moving geometries from one CRS to another with pyproj, vectorised.

Every coordinate of a whole geometry array goes through one
``Transformer.transform`` call (via ``shapely.transform``), in x/y order
(``always_xy=True``) whatever the CRSs' official axis order. The transformer
is pyproj's best available operation for the data's area of interest (its
bounds in lon/lat), so datum grids that apply only to a region are chosen
when the data lies in that region and are installed.

Missing geometries stay missing and empty ones stay empty. Z values are kept
as they are (the transformation is horizontal only). Coordinates that the
operation cannot transform (outside its domain of validity) raise
``InvalidParameter`` rather than producing infinities. Nothing is split at
the antimeridian: a line crossing it in a projected CRS comes back in lon/lat
with a long jump across the map.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError
from pyproj.transformer import AreaOfInterest  # pyproj.aoi's class, as from_crs is typed

from honua.errors import InvalidParameter
from honua.geo.crs import crs_name, parse_crs
from honua.geo.features import FeatureCollection

__all__ = ["area_of_interest", "to_crs", "transform", "transform_bounds", "transformer"]

Bounds = tuple[float, float, float, float]


def to_crs(collection: FeatureCollection, crs: object) -> FeatureCollection:
    """``collection`` with its geometries transformed into ``crs`` (attributes unchanged).

    Returns the collection itself when it is already in ``crs``.

    >>> import shapely
    >>> fc = FeatureCollection.from_geometries([shapely.Point(3, 0), None], crs=4326)
    >>> moved = to_crs(fc, 32631)
    >>> [round(c) for c in moved.geometry[0].coords[0]], moved.geometry[1] is None
    ([500000, 0], True)
    """
    target = parse_crs(crs)
    if collection.crs == target:
        return collection
    moved = transform(collection.geometry, collection.crs, target, bounds=collection.bounds)
    return collection.with_geometry(moved, target)


def transform(geometry: np.ndarray, source: CRS, target: CRS, *,
              bounds: Bounds | None = None) -> np.ndarray:
    """Every geometry of ``geometry`` moved from ``source`` to ``target``.

    ``bounds`` (in ``source`` units) chooses the transformation's area of
    interest; when omitted it is computed from the geometries.
    """
    geometry = np.asarray(geometry, dtype=object)
    if source == target or len(geometry) == 0:
        return geometry.copy()
    if bounds is None:
        bounds = _bounds(geometry)
    operation = transformer(source, target, area_of_interest(source, bounds))

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = operation.transform(coords[:, 0], coords[:, 1])
        out = coords.copy()
        out[:, 0], out[:, 1] = x, y
        return out

    moved = shapely.transform(geometry, move, include_z=None)
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise InvalidParameter(
            f"some coordinates cannot be transformed from {crs_name(source)} to "
            f"{crs_name(target)}: they lie outside the area where the target "
            "coordinate system is defined"
        )
    return moved


def transform_bounds(bounds: Bounds, source: CRS, target: CRS, *, densify: int = 21) -> Bounds:
    """The box in ``target`` that holds ``bounds`` of ``source`` (edges densified)."""
    if source == target:
        return bounds
    operation = transformer(source, target, area_of_interest(source, bounds))
    try:
        box = operation.transform_bounds(*bounds, densify_pts=densify)
    except ProjError:
        box = (np.inf,) * 4
    if not np.isfinite(box).all():
        raise InvalidParameter(
            f"the extent {bounds} cannot be transformed from {crs_name(source)} to "
            f"{crs_name(target)}"
        )
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def area_of_interest(crs: CRS, bounds: Bounds | None) -> AreaOfInterest | None:
    """``bounds`` of ``crs`` as a lon/lat area of interest (None when unknown)."""
    if bounds is None or not np.isfinite(bounds).all():
        return None
    if crs.is_geographic:
        west, south, east, north = bounds
    else:
        try:
            west, south, east, north = transformer(crs, crs.geodetic_crs, None).transform_bounds(
                *bounds, densify_pts=5)
        except (ProjError, AttributeError, TypeError):
            return None
        if not np.isfinite((west, south, east, north)).all():
            return None
    # whole degrees, outwards: the same operation is chosen and the cache hits
    west, east = max(-180.0, np.floor(west)), min(180.0, np.ceil(east))
    south, north = max(-90.0, np.floor(south)), min(90.0, np.ceil(north))
    return AreaOfInterest(float(west), float(south), float(east), float(north))


@lru_cache(maxsize=64)
def transformer(source: CRS, target: CRS, aoi: AreaOfInterest | None = None) -> Transformer:
    """pyproj's best available transformation from ``source`` to ``target``, x/y order."""
    try:
        return Transformer.from_crs(source, target, always_xy=True, area_of_interest=aoi)
    except ProjError as exc:
        raise InvalidParameter(
            f"no transformation from {crs_name(source)} to {crs_name(target)}: {exc}"
        ) from None


def _bounds(geometry: np.ndarray) -> Bounds | None:
    present = geometry[~shapely.is_missing(geometry)]
    if len(present) == 0:
        return None
    box = shapely.total_bounds(present)
    return None if np.isnan(box).any() else (float(box[0]), float(box[1]),
                                              float(box[2]), float(box[3]))
