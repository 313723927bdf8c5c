"""Literal values sent as text (WPS ``LiteralData``, GPServer form fields) as typed values.

Both protocols carry numbers, booleans and dates as text; their decoders turn
them into Python values here, before the core sees them, so that an error
names the input in the protocol's own terms and the core is handed numbers,
not strings. Text follows XML Schema's lexical forms (``xs:integer``,
``xs:double``, ``xs:boolean``, ``xs:dateTime``), which GPServer shares.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from honua.core.parameters import DataType
from honua.errors import InvalidParameter

__all__ = ["parse_literal"]

_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidParameter(f"input {name!r}: expected an integer, got {text!r}",
                               parameter=name) from None


def _double(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameter(f"input {name!r}: expected a number, got {text!r}",
                               parameter=name) from None
    if not math.isfinite(value):
        raise InvalidParameter(f"input {name!r}: the number must be finite, got {text!r}",
                               parameter=name)
    return value


def _boolean(text: str, name: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise InvalidParameter(f"input {name!r}: expected true or false, got {text!r}",
                           parameter=name)


def _date_time(text: str, name: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"input {name!r}: expected a date-time such as "
                               f"2024-05-01T12:00:00Z, got {text!r}", parameter=name) from None
    return value


_PARSERS = {DataType.INTEGER: _integer, DataType.DOUBLE: _double, DataType.BOOLEAN: _boolean,
            DataType.DATETIME: _date_time}


def parse_literal(data_type: DataType, text: str, name: str) -> Any:
    """``text`` as ``data_type``'s value; other types (strings...) are returned unchanged."""
    parser = _PARSERS.get(data_type)
    return text if parser is None else parser(text.strip(), name)
