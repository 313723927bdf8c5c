"""GP data types and Esri unit names, from the core's neutral parameter descriptions.

Every parameter maps to one ``dataType`` string, whatever process it belongs
to: the core's type decides, ``max_occurs`` makes it a ``GPMultiValue:<T>``,
and a feature parameter declared without geometry (``geometry_types=("none",)``)
is a table, ``GPRecordSet``. The core has no record-set type of its own yet;
this is the adapter's reading of that declaration (``is_table`` and
``geometry_types`` are ``core.esri_values``', which the worker reads inputs with).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from honua.core.esri_values import geometry_types, is_table
from honua.core.parameters import DataType, Parameter
from honua.core.values import ArealUnit, LinearUnit
from honua.errors import InvalidParameter

__all__ = ["AREAL", "LINEAR", "data_type", "geometry_types", "is_table", "member_type",
           "read_areal", "read_linear", "write_areal", "write_linear"]

_TYPES = {
    DataType.STRING: "GPString", DataType.INTEGER: "GPLong", DataType.DOUBLE: "GPDouble",
    DataType.BOOLEAN: "GPBoolean", DataType.DATETIME: "GPDate",
    DataType.LINEAR_UNIT: "GPLinearUnit", DataType.AREAL_UNIT: "GPArealUnit",
    DataType.FEATURES: "GPFeatureRecordSetLayer", DataType.GEOMETRY: "GPFeatureRecordSetLayer",
    DataType.ENVELOPE: "GPExtent", DataType.SPATIAL_REFERENCE: "GPSpatialReference",
    DataType.FILE: "GPDataFile",
}
def member_type(parameter: Parameter) -> str:
    if is_table(parameter):
        return "GPRecordSet"
    return _TYPES[parameter.data_type]


def data_type(parameter: Parameter) -> str:
    """The GP ``dataType`` of a parameter, e.g. ``GPLinearUnit`` or ``GPMultiValue:GPString``."""
    member = member_type(parameter)
    return f"GPMultiValue:{member}" if parameter.multiple else member


# -- units --------------------------------------------------------------------------------------
_US_FOOT = 1200.0 / 3937.0
# Esri linear unit -> (core unit, factor to multiply the distance by)
LINEAR: dict[str, tuple[str, float]] = {
    "esriMeters": ("meters", 1.0), "esriKilometers": ("kilometers", 1.0),
    "esriCentimeters": ("centimeters", 1.0), "esriMillimeters": ("millimeters", 1.0),
    "esriDecimeters": ("decimeters", 1.0), "esriFeet": ("feet", 1.0),
    "esriIntFeet": ("feet", 1.0), "esriInches": ("inches", 1.0), "esriIntInches": ("inches", 1.0),
    "esriPoints": ("inches", 1.0 / 72.0), "esriYards": ("yards", 1.0),
    "esriIntYards": ("yards", 1.0), "esriMiles": ("miles", 1.0), "esriIntMiles": ("miles", 1.0),
    "esriNauticalMiles": ("nautical_miles", 1.0), "esriIntNauticalMiles": ("nautical_miles", 1.0),
}
_LINEAR_OUT = {"meters": "esriMeters", "kilometers": "esriKilometers",
               "centimeters": "esriCentimeters", "millimeters": "esriMillimeters",
               "decimeters": "esriDecimeters", "feet": "esriFeet", "inches": "esriInches",
               "yards": "esriYards", "miles": "esriMiles", "nautical_miles": "esriNauticalMiles"}
AREAL: dict[str, tuple[str, float]] = {
    "esriSquareMeters": ("square_meters", 1.0), "esriSquareKilometers": ("square_kilometers", 1.0),
    "esriHectares": ("hectares", 1.0), "esriAres": ("ares", 1.0), "esriAcres": ("acres", 1.0),
    "esriSquareFeet": ("square_feet", 1.0), "esriSquareYards": ("square_yards", 1.0),
    "esriSquareMiles": ("square_miles", 1.0), "esriSquareInches": ("square_inches", 1.0),
    "esriSquareCentimeters": ("square_centimeters", 1.0),
    "esriSquareMillimeters": ("square_millimeters", 1.0),
    "esriSquareDecimeters": ("square_meters", 0.01),
    "esriSquareInchesUS": ("square_meters", (_US_FOOT / 12.0) ** 2),
    "esriSquareFeetUS": ("square_meters", _US_FOOT ** 2),
    "esriSquareYardsUS": ("square_meters", (3.0 * _US_FOOT) ** 2),
    "esriAcresUS": ("square_meters", 43560.0 * _US_FOOT ** 2),
    "esriSquareMilesUS": ("square_meters", (5280.0 * _US_FOOT) ** 2),
}
_AREAL_OUT = {core: esri for esri, (core, factor) in AREAL.items() if factor == 1.0}
_UNSUPPORTED = {"esriunknownunits", "esridecimaldegrees", "esriunknownareaunits"}


def _lookup(table: Mapping[str, tuple[str, float]], units: str, what: str,
            where: str) -> tuple[str, float]:
    key = units.strip().replace(" ", "").lower()
    key = key if key.startswith("esri") else "esri" + key
    for name, entry in table.items():
        if name.lower() in (key, key + "s"):
            return entry
    if key in _UNSUPPORTED:
        raise InvalidParameter(f"{where}: units {units!r} are not supported here; give the "
                               f"{what} in a unit of length such as esriMeters")
    names = ", ".join(table)
    raise InvalidParameter(f"{where}: unknown units {units!r}; use one of {names}")


def _measure(value: Any, number_key: str, where: str, example: str) -> tuple[float, str | None]:
    if isinstance(value, Mapping):
        number, units = value.get(number_key), value.get("units")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number, units = value, None
    elif isinstance(value, str) and value.strip():
        parts = value.split()
        number, units = parts[0], (" ".join(parts[1:]) or None)
    else:
        raise InvalidParameter(f"{where}: expected {example}")
    if isinstance(number, bool) or not isinstance(number, int | float | str):
        raise InvalidParameter(f"{where}: expected {example}")
    try:
        return float(number), (str(units) if units else None)
    except ValueError:
        raise InvalidParameter(f"{where}: {number!r} is not a number; expected {example}") from None


def read_linear(value: Any, where: str) -> LinearUnit:
    """A LinearUnit from ``{"distance", "units"}``, ``"5 Miles"`` or a number (metres)."""
    number, units = _measure(value, "distance", where, '{"distance": 100, "units": "esriMeters"}')
    core, factor = _lookup(LINEAR, units or "esriMeters", "distance", where)
    return LinearUnit(number * factor, core)


def write_linear(value: LinearUnit) -> dict[str, Any]:
    if value.unit in _LINEAR_OUT:
        return {"distance": value.value, "units": _LINEAR_OUT[value.unit]}
    return {"distance": value.meters, "units": "esriMeters"}


def read_areal(value: Any, where: str) -> ArealUnit:
    """An ArealUnit from ``{"area", "units"}``, ``"3 SquareKilometers"`` or a number (m²)."""
    number, units = _measure(value, "area", where, '{"area": 50, "units": "esriSquareMeters"}')
    core, factor = _lookup(AREAL, units or "esriSquareMeters", "area", where)
    return ArealUnit(number * factor, core)


def write_areal(value: ArealUnit) -> dict[str, Any]:
    if value.unit in _AREAL_OUT:
        return {"area": value.value, "units": _AREAL_OUT[value.unit]}
    return {"area": value.square_meters, "units": "esriSquareMeters"}
