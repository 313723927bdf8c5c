"""Linear and areal units: canonical names, aliases users type, and factors to SI.

Canonical names are lower-case plural words (``meters``, ``kilometers``, ...).
Adapters map their own spellings (``esriMeters``, EPSG UOM codes) onto these.
"""

from __future__ import annotations

from honua.errors import InvalidParameter

# canonical name -> metres per unit
LINEAR_UNITS: dict[str, float] = {
    "meters": 1.0,
    "kilometers": 1000.0,
    "centimeters": 0.01,
    "millimeters": 0.001,
    "decimeters": 0.1,
    "feet": 0.3048,
    "us_survey_feet": 1200.0 / 3937.0,
    "inches": 0.0254,
    "yards": 0.9144,
    "miles": 1609.344,
    "nautical_miles": 1852.0,
}

_LINEAR_ALIASES: dict[str, str] = {
    "m": "meters", "meter": "meters", "metre": "meters", "metres": "meters",
    "km": "kilometers", "kilometer": "kilometers", "kilometre": "kilometers",
    "kilometres": "kilometers",
    "cm": "centimeters", "centimeter": "centimeters", "centimetre": "centimeters",
    "mm": "millimeters", "millimeter": "millimeters", "millimetre": "millimeters",
    "dm": "decimeters", "decimeter": "decimeters",
    "ft": "feet", "foot": "feet", "international_feet": "feet",
    "us_ft": "us_survey_feet", "us_survey_foot": "us_survey_feet", "ftus": "us_survey_feet",
    "in": "inches", "inch": "inches",
    "yd": "yards", "yard": "yards",
    "mi": "miles", "mile": "miles", "statute_miles": "miles",
    "nmi": "nautical_miles", "nm": "nautical_miles", "nautical_mile": "nautical_miles",
    "nauticalmiles": "nautical_miles",
}

# canonical name -> square metres per unit
AREAL_UNITS: dict[str, float] = {
    "square_meters": 1.0,
    "square_kilometers": 1e6,
    "hectares": 1e4,
    "ares": 100.0,
    "acres": 4046.8564224,
    "square_feet": 0.09290304,
    "square_yards": 0.83612736,
    "square_miles": 2589988.110336,
    "square_inches": 0.00064516,
    "square_centimeters": 1e-4,
    "square_millimeters": 1e-6,
}

_AREAL_ALIASES: dict[str, str] = {
    "m2": "square_meters", "sq_m": "square_meters", "square_metres": "square_meters",
    "km2": "square_kilometers", "sq_km": "square_kilometers",
    "square_kilometres": "square_kilometers",
    "ha": "hectares", "hectare": "hectares", "are": "ares", "acre": "acres", "ac": "acres",
    "ft2": "square_feet", "sq_ft": "square_feet", "yd2": "square_yards",
    "mi2": "square_miles", "sq_mi": "square_miles", "in2": "square_inches",
    "cm2": "square_centimeters", "mm2": "square_millimeters",
}


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def linear_unit(name: str) -> str:
    """The canonical name of a linear unit, from any accepted spelling.

    >>> linear_unit("Metres"), linear_unit("km"), linear_unit("nautical miles")
    ('meters', 'kilometers', 'nautical_miles')
    """
    key = _key(name)
    key = _LINEAR_ALIASES.get(key, key)
    if key not in LINEAR_UNITS:
        raise InvalidParameter(
            f"unknown linear unit {name!r}; use one of: {', '.join(LINEAR_UNITS)}"
        )
    return key


def areal_unit(name: str) -> str:
    """The canonical name of an areal unit, from any accepted spelling."""
    key = _key(name)
    key = _AREAL_ALIASES.get(key, key)
    if key not in AREAL_UNITS:
        raise InvalidParameter(f"unknown areal unit {name!r}; use one of: {', '.join(AREAL_UNITS)}")
    return key


def to_meters(value: float, unit: str) -> float:
    """``value`` in ``unit`` expressed in metres.

    >>> to_meters(1, "miles")
    1609.344
    """
    return value * LINEAR_UNITS[linear_unit(unit)]


def from_meters(meters: float, unit: str) -> float:
    return meters / LINEAR_UNITS[linear_unit(unit)]


def to_square_meters(value: float, unit: str) -> float:
    return value * AREAL_UNITS[areal_unit(unit)]


def from_square_meters(square_meters: float, unit: str) -> float:
    return square_meters / AREAL_UNITS[areal_unit(unit)]
