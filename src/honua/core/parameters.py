"""Process parameters: neutral data types, their description, and conversion.

A Parameter describes one input or output in terms every adapter can render
(OGC JSON schema, WPS LiteralData/ComplexData, GP data types). Conversion,
click-style, turns a neutral wire value (JSON scalars, GeoJSON, ``{"value",
"unit"}`` ...) into the Python value the process function receives; converting
an already-converted value changes nothing, and every error names the
parameter.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import orjson

from honua.core.values import (
    ArealUnit,
    Envelope,
    File,
    Geometry,
    LinearUnit,
    SpatialReference,
    finite_coordinates,
)
from honua.errors import InvalidParameter, TooManyValues
from honua.geo.features import FeatureCollection
from honua.geo.geojson import read_features

UNBOUNDED = -1


class DataType(enum.StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    LINEAR_UNIT = "linear-unit"
    AREAL_UNIT = "areal-unit"
    FEATURES = "features"
    GEOMETRY = "geometry"
    ENVELOPE = "envelope"
    SPATIAL_REFERENCE = "spatial-reference"
    FILE = "file"

    @property
    def is_literal(self) -> bool:
        return self in _LITERALS


_LITERALS = {DataType.STRING, DataType.INTEGER, DataType.DOUBLE, DataType.BOOLEAN,
             DataType.DATETIME, DataType.LINEAR_UNIT, DataType.AREAL_UNIT}

_PYTHON_TYPES: dict[Any, DataType] = {
    str: DataType.STRING, int: DataType.INTEGER, float: DataType.DOUBLE,
    bool: DataType.BOOLEAN, dt.datetime: DataType.DATETIME,
    LinearUnit: DataType.LINEAR_UNIT, ArealUnit: DataType.AREAL_UNIT,
    FeatureCollection: DataType.FEATURES, Geometry: DataType.GEOMETRY,
    Envelope: DataType.ENVELOPE, SpatialReference: DataType.SPATIAL_REFERENCE, File: DataType.FILE,
}


@dataclass(frozen=True)
class Input:
    """Metadata for an input, given with ``Annotated[type, Input(...)]``."""

    title: str | None = None
    description: str = ""
    keywords: tuple[str, ...] = ()
    category: str = ""
    min_occurs: int | None = None
    max_occurs: int | None = None
    unit: str | None = None
    """Unit hint (e.g. 'meters') for numbers whose meaning has one."""
    geometry_types: tuple[str, ...] = ()
    """For features/geometry: accepted geometry types (empty = any)."""


@dataclass(frozen=True)
class Output:
    """An output's type and metadata (for ``@process(outputs={...})``)."""

    type: Any
    title: str | None = None
    description: str = ""
    geometry_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parameter:
    """One input or output of a process, described neutrally."""

    name: str
    data_type: DataType
    title: str = ""
    description: str = ""
    required: bool = True
    default: Any = None
    allowed_values: tuple[Any, ...] = ()
    min_occurs: int = 1
    max_occurs: int = 1
    unit: str | None = None
    keywords: tuple[str, ...] = ()
    category: str = ""
    geometry_types: tuple[str, ...] = ()
    enum_type: type[enum.Enum] | None = None

    @property
    def multiple(self) -> bool:
        return self.max_occurs != 1

    def convert(self, value: Any) -> Any:
        """The Python value for ``value``; raises InvalidParameter naming this parameter."""
        if self.multiple:
            items = value if isinstance(value, list | tuple) else [value]
            if len(items) < self.min_occurs:
                raise InvalidParameter(
                    f"input {self.name!r} needs at least {self.min_occurs} value(s)",
                    parameter=self.name)
            if self.max_occurs != UNBOUNDED and len(items) > self.max_occurs:
                raise TooManyValues(
                    f"input {self.name!r} takes at most {self.max_occurs} value(s), got {len(items)}",
                    parameter=self.name)
            return [self._convert_one(v) for v in items]
        return self._convert_one(value)

    def _convert_one(self, value: Any) -> Any:
        converted = convert_value(self.data_type, value, self.name)
        if self.allowed_values and converted not in self.allowed_values:
            choices = ", ".join(repr(v) for v in self.allowed_values)
            raise InvalidParameter(
                f"input {self.name!r}: {value!r} is not allowed; choose one of {choices}",
                parameter=self.name)
        if self.enum_type is not None:
            return self.enum_type(converted)
        return converted


def _to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InvalidParameter(f"input {name!r}: expected true or false, got {value!r}", parameter=name)


def _to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise InvalidParameter(f"input {name!r}: expected an integer, got a boolean", parameter=name)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidParameter(f"input {name!r}: expected an integer, got {value!r}", parameter=name)


def _to_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise InvalidParameter(f"input {name!r}: expected a number, got a boolean", parameter=name)
    if isinstance(value, int | float | np.number):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise InvalidParameter(f"input {name!r}: expected a number, got {value!r}",
                                   parameter=name) from None
    else:
        raise InvalidParameter(f"input {name!r}: expected a number, got {value!r}", parameter=name)
    if not np.isfinite(result):
        raise InvalidParameter(f"input {name!r}: the number must be finite", parameter=name)
    return result


def _to_datetime(value: Any, name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise InvalidParameter(
        f"input {name!r}: expected an ISO 8601 date-time such as 2024-05-01T12:00:00Z, got {value!r}",
        parameter=name)


def _to_string(value: Any, name: str) -> str:
    """Text; a JSON object or array is taken as its JSON text (e.g. a CQL2 JSON filter sent
    as an object rather than a string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    raise InvalidParameter(f"input {name!r}: expected text, got {type(value).__name__}",
                           parameter=name)


def _to_features(value: Any, name: str) -> FeatureCollection:
    try:
        collection = (value if isinstance(value, FeatureCollection)
                      else read_features(value, where=f"input {name!r}"))
        finite_coordinates(collection.geometry, f"input {name!r}")  # whichever adapter built it
        return collection
    except InvalidParameter as exc:
        raise InvalidParameter(exc.message, parameter=name) from None


_CONVERTERS: dict[DataType, Callable[[Any, str], Any]] = {
    DataType.STRING: _to_string,
    DataType.INTEGER: _to_int,
    DataType.DOUBLE: _to_float,
    DataType.BOOLEAN: _to_bool,
    DataType.DATETIME: _to_datetime,
    DataType.LINEAR_UNIT: lambda v, n: LinearUnit.coerce(v, f"input {n!r}"),
    DataType.AREAL_UNIT: lambda v, n: ArealUnit.coerce(v, f"input {n!r}"),
    DataType.FEATURES: _to_features,
    DataType.GEOMETRY: lambda v, n: Geometry.coerce(v, n),
    DataType.ENVELOPE: lambda v, n: Envelope.coerce(v, f"input {n!r}"),
    DataType.SPATIAL_REFERENCE: lambda v, n: SpatialReference.coerce(v, f"input {n!r}"),
    DataType.FILE: lambda v, n: File.coerce(v, f"input {n!r}"),
}


def convert_value(data_type: DataType, value: Any, name: str = "value") -> Any:
    """Convert one neutral value to ``data_type``'s Python value (idempotent)."""
    try:
        return _CONVERTERS[data_type](value, name)
    except InvalidParameter as exc:
        exc.parameter = name
        raise


def python_type(data_type: DataType) -> Any:
    return next(t for t, d in _PYTHON_TYPES.items() if d is data_type)


def parameter_from_annotation(name: str, annotation: Any, default: Any, has_default: bool,
                              output: bool = False) -> Parameter:
    """Describe a function parameter from its type annotation and default."""
    meta = Input()
    if typing.get_origin(annotation) is Annotated:
        annotation, *extras = typing.get_args(annotation)
        meta = next((e for e in extras if isinstance(e, Input)), meta)
    required = not has_default
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != len(typing.get_args(annotation)):
            required = False
        if len(args) != 1:
            raise TypeError(f"parameter {name!r}: unions of several types are not supported")
        annotation = args[0]
        origin = typing.get_origin(annotation)
    min_occurs, max_occurs = (1 if required else 0), 1
    if origin in (list, Sequence, tuple, typing.get_origin(Sequence[int])):
        (annotation,) = typing.get_args(annotation)[:1]
        max_occurs = UNBOUNDED
        origin = typing.get_origin(annotation)
    allowed: tuple[Any, ...] = ()
    enum_type = None
    if origin is Literal:
        allowed = typing.get_args(annotation)
        annotation = type(allowed[0])
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        enum_type = annotation
        allowed = tuple(member.value for member in annotation)
        annotation = type(allowed[0])
    data_type = _PYTHON_TYPES.get(annotation)
    if data_type is None:
        raise TypeError(f"parameter {name!r}: Honua has no data type for {annotation!r}")
    if isinstance(default, enum.Enum):
        default = default.value
    return Parameter(
        name=name, data_type=data_type, title=meta.title or name.replace("_", " ").capitalize(),
        description=meta.description, required=required and not output,
        default=default if has_default else None, allowed_values=allowed,
        min_occurs=meta.min_occurs if meta.min_occurs is not None else min_occurs,
        max_occurs=meta.max_occurs if meta.max_occurs is not None else max_occurs,
        unit=meta.unit, keywords=meta.keywords, category=meta.category,
        geometry_types=meta.geometry_types, enum_type=enum_type,
    )
