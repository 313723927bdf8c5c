"""Honua's value types for process inputs and outputs beyond Python's own.

They are frozen, protocol-neutral, and built from what users type: a linear
unit from ``100`` or ``"100 meters"`` or the neutral JSON form
``{"value": 100, "unit": "km"}`` (what ``core.codec`` stores). Protocol
spellings (Esri ``{"distance", "units"}``, WPS ``uom``) are the adapters'
business. Each ``coerce`` accepts an already-built value unchanged (idempotent).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo import units
from honua.geo.crs import crs84, crs_name, parse_crs
from honua.geo.features import FeatureCollection
from honua.geo.geojson import read_features

__all__ = [
    "ArealUnit", "Envelope", "FeatureCollection", "File", "Geometry", "LinearUnit",
    "SpatialReference",
]

_NUMBER_WITH_UNIT = re.compile(r"^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*([A-Za-z_ \-]*)\s*$")


def _split_measure(value: Any, default_unit: str, what: str) -> tuple[float, str]:
    if isinstance(value, bool):
        raise InvalidParameter(f"{what}: expected a number with a unit, got a boolean")
    if isinstance(value, int | float):
        return float(value), default_unit
    if isinstance(value, str):
        match = _NUMBER_WITH_UNIT.match(value)
        if not match:
            raise InvalidParameter(f"{what}: expected e.g. '100 meters', got {value!r}")
        return float(match.group(1)), match.group(2).strip() or default_unit
    if isinstance(value, Mapping):  # the neutral JSON form, as ``core.codec`` writes it
        number, unit = value.get("value"), value.get("unit", default_unit)
        if set(value) - {"value", "unit"} or isinstance(number, bool) or not isinstance(
                number, int | float | str):
            raise InvalidParameter(f"{what}: expected {{'value': <number>, 'unit': <unit>}}")
        try:
            return float(number), str(unit or default_unit)
        except ValueError:
            raise InvalidParameter(f"{what}: {number!r} is not a number") from None
    raise InvalidParameter(f"{what}: expected a number with a unit, got {type(value).__name__}")


def _finite(value: Any, what: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise InvalidParameter(f"{what} must be a finite number, got {value!r}")
    return number


def finite_coordinates(geometry: Any, what: str) -> None:
    """InvalidParameter if any x/y of ``geometry`` (one shapely geometry or an array of
    them) is NaN or infinite: GEOS answers those with nonsense or errors, never a result."""
    coordinates = shapely.get_coordinates(geometry)
    if coordinates.size and not np.isfinite(coordinates).all():
        raise InvalidParameter(f"{what}: coordinates must be finite numbers (not NaN or "
                               "Infinity)")


@dataclass(frozen=True)
class LinearUnit:
    """A distance: a number and a linear unit (canonical name, default metres)."""

    value: float
    unit: str = "meters"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite(self.value, "a distance"))
        object.__setattr__(self, "unit", units.linear_unit(self.unit))

    @property
    def meters(self) -> float:
        return units.to_meters(self.value, self.unit)

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> LinearUnit:
        if isinstance(value, cls):
            return value
        number, unit = _split_measure(value, "meters", name)
        try:
            return cls(number, unit)
        except InvalidParameter as exc:
            raise InvalidParameter(f"{name}: {exc.message}", parameter=name) from None


@dataclass(frozen=True)
class ArealUnit:
    """An area: a number and an areal unit (default square metres)."""

    value: float
    unit: str = "square_meters"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _finite(self.value, "an area"))
        object.__setattr__(self, "unit", units.areal_unit(self.unit))

    @property
    def square_meters(self) -> float:
        return units.to_square_meters(self.value, self.unit)

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> ArealUnit:
        if isinstance(value, cls):
            return value
        number, unit = _split_measure(value, "square_meters", name)
        try:
            return cls(number, unit)
        except InvalidParameter as exc:
            raise InvalidParameter(f"{name}: {exc.message}", parameter=name) from None


@dataclass(frozen=True)
class SpatialReference:
    """A coordinate reference system, from an EPSG code, URN/URI or WKT."""

    crs: CRS

    @property
    def name(self) -> str:
        return crs_name(self.crs)

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> SpatialReference:
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):  # the neutral JSON form, as ``core.codec`` writes it
            value = value.get("crs")
        try:
            return cls(parse_crs(value))
        except InvalidParameter as exc:
            raise InvalidParameter(f"{name}: {exc.message}", parameter=name) from None


@dataclass(frozen=True)
class Envelope:
    """An axis-aligned box in x/y order, with its CRS (default CRS84)."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    crs: CRS = field(default_factory=crs84)

    def __post_init__(self) -> None:
        for name in ("minx", "miny", "maxx", "maxy"):
            object.__setattr__(self, name, _finite(getattr(self, name), "an envelope's " + name))
        if self.minx > self.maxx or self.miny > self.maxy:
            raise InvalidParameter("an envelope needs min <= max on both axes")

    @property
    def polygon(self) -> shapely.Polygon:
        return shapely.box(self.minx, self.miny, self.maxx, self.maxy)

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> Envelope:
        if isinstance(value, cls):
            return value
        crs: Any = crs84()
        if isinstance(value, Mapping):
            crs = value.get("crs") or crs
            value = value.get("bbox")
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, Sequence) or len(value) not in (4, 6):
            raise InvalidParameter(f"{name}: an envelope is 4 numbers: minx, miny, maxx, maxy",
                                   parameter=name)
        try:
            numbers = [float(v) for v in value]
        except (TypeError, ValueError):
            raise InvalidParameter(f"{name}: envelope values must be numbers", parameter=name) from None
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        try:
            return cls(numbers[0], numbers[1], numbers[2], numbers[3], crs=parse_crs(crs))
        except InvalidParameter as exc:
            raise InvalidParameter(f"{name}: {exc.message}", parameter=name) from None


@dataclass(frozen=True)
class Geometry:
    """One shapely geometry with its CRS."""

    shape: Any
    crs: CRS = field(default_factory=crs84)

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> Geometry:
        if isinstance(value, cls):
            return value
        if isinstance(value, shapely.Geometry):
            finite_coordinates(value, f"input {name!r}")
            return cls(value)
        return cls.only_one(read_features(value, where=f"input {name!r}"), name)

    @classmethod
    def only_one(cls, collection: FeatureCollection, name: str) -> Geometry:
        """The one geometry of ``collection``: the rule every adapter's geometry input follows.

        A geometry input takes exactly one non-null geometry; zero, several or
        a null one is the same clear error on every surface.
        """
        if len(collection) != 1 or collection.geometry[0] is None:
            got = "a null geometry" if len(collection) == 1 else f"{len(collection)} features"
            raise InvalidParameter(f"input {name!r} takes exactly one geometry, got {got}",
                                   parameter=name)
        finite_coordinates(collection.geometry[0], f"input {name!r}")
        return cls(collection.geometry[0], collection.crs)


@dataclass(frozen=True)
class File:
    """A file input or output: its bytes on disk (``path``) or in memory (``data``)."""

    name: str
    media_type: str = "application/octet-stream"
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            return b""
        return self.path.read_bytes()

    @classmethod
    def coerce(cls, value: Any, name: str = "value") -> File:
        if isinstance(value, cls):
            return value
        if isinstance(value, bytes):
            return cls(name=name, data=value)
        if isinstance(value, Mapping) and "data" in value:
            import base64

            raw = value["data"]
            data = base64.b64decode(raw) if isinstance(raw, str) else bytes(raw)
            return cls(name=str(value.get("name", name)),
                       media_type=str(value.get("mediaType", "application/octet-stream")),
                       data=data)
        raise InvalidParameter(f"{name}: expected a file (bytes or an upload)", parameter=name)
