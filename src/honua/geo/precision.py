"""Coordinate precision of written outputs: as many decimals as the CRS's unit needs.

A buffer computed in float64 has 17 significant digits per coordinate, about
a nanometre: clients download and parse them for nothing. Outputs are written
with 7 decimals in degrees (about 1 cm at the equator) and 3 in metres or feet
(1 mm) unless the request asks for another number; rounding goes through numpy
(``np.round``), so each coordinate is the double nearest the decimal and the
writers' shortest round-trip formatting prints just those digits.

Rounding moves vertices by at most half a unit in the last decimal kept; it
does not repair the rare polygon whose rings then touch (7 decimals is far below
the accuracy of any input that clients send).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection

__all__ = ["DEFAULT", "MAX_DECIMALS", "Precision", "parse_decimals", "rounded",
           "rounded_geometry"]

MAX_DECIMALS = 15
"""More than this is float64 noise: asking for it means 'as computed' (no rounding)."""


@dataclass(frozen=True)
class Precision:
    """How many decimals outputs get: ``asked`` if the request said, else per CRS unit."""

    degrees: int = 7
    metres: int = 3
    asked: int | None = None

    def decimals(self, crs: CRS | None) -> int | None:
        """Decimals for coordinates in ``crs``; None = leave them as computed."""
        if self.asked is not None:
            return None if self.asked >= MAX_DECIMALS else self.asked
        if crs is None:
            return None
        return self.degrees if crs.is_geographic else self.metres

    def asking(self, asked: int | None) -> Precision:
        return Precision(self.degrees, self.metres, asked)


DEFAULT = Precision()
"""7 decimals in degrees, 3 in metres or feet: what outputs get unless a request asks."""


def parse_decimals(raw: object, *, name: str = "precision") -> int | None:
    """A request's decimals: an integer 0..15 (15 = as computed), None when not given."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise InvalidParameter(f"{name} must be an integer from 0 to {MAX_DECIMALS}",
                               parameter=name)
    try:
        value = int(raw.strip()) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if not isinstance(value, int) or not 0 <= value <= MAX_DECIMALS:
        raise InvalidParameter(f"{name} must be an integer from 0 to {MAX_DECIMALS} (decimals "
                               f"of output coordinates), not {str(raw)[:40]!r}", parameter=name)
    return value


def rounded_geometry(geometry: np.ndarray, decimals: int | None) -> np.ndarray:
    """``geometry`` with every coordinate (z too) rounded to ``decimals``, vectorised."""
    if decimals is None or len(geometry) == 0:
        return geometry
    return shapely.transform(geometry, lambda coords: np.round(coords, decimals),
                             include_z=None)


def rounded(collection: FeatureCollection, precision: Precision) -> FeatureCollection:
    """``collection`` with coordinates rounded as ``precision`` says for its CRS."""
    decimals = precision.decimals(collection.crs)
    if decimals is None:
        return collection
    return collection.with_geometry(rounded_geometry(collection.geometry, decimals))
