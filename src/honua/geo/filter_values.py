"""Operand columns for CQL2 evaluation: values plus a "known" mask, with type coercion.

A CQL2 expression (a property, a literal, arithmetic, a function) becomes an
``Operand``: one value per feature in a numpy array and a mask of which
values are known (not null). Numbers are float arrays; text, booleans and
JSON values object arrays; instants ``datetime64[us]`` in UTC. Literals are
broadcast to every feature. Comparisons between operands of different kinds
raise ``InvalidParameter`` naming what was compared.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from honua.errors import InvalidParameter

__all__ = ["Operand", "arithmetic", "column_operand", "comparable", "literal_operand", "text_function"]

NUMBER, TEXT, BOOLEAN, INSTANT, DATE, OTHER = "number", "text", "boolean", "instant", "date", "other"


@dataclass(frozen=True)
class Operand:
    """Per-feature values of one expression; ``known[i]`` is False where the value is null."""

    values: np.ndarray
    known: np.ndarray
    kind: str
    label: str


def _kind_of_values(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return OTHER
    if kinds <= {bool}:
        return BOOLEAN
    if kinds <= {int, float}:
        return NUMBER
    if kinds <= {str}:
        return TEXT
    return OTHER


def column_operand(name: str, values: list[Any]) -> Operand:
    """The operand of a property from its column of values."""
    known = np.array([v is not None for v in values], dtype=bool)
    kind = _kind_of_values(values)
    if kind == NUMBER:
        array = np.array([float(v) if v is not None else np.nan for v in values], dtype=float)
    else:
        array = np.empty(len(values), dtype=object)
        array[:] = values
    return Operand(array, known, kind, f"field {name!r}")


def literal_operand(value: Any, n: int) -> Operand:
    """A literal broadcast to ``n`` features."""
    if value is None:
        return Operand(np.full(n, None, dtype=object), np.zeros(n, bool), OTHER, "null")
    if isinstance(value, bool):
        kind: str = BOOLEAN
    elif isinstance(value, int | float):
        return Operand(np.full(n, float(value)), np.ones(n, bool), NUMBER, repr(value))
    elif isinstance(value, str):
        kind = TEXT
    elif isinstance(value, dt.datetime):
        return Operand(np.full(n, _instant(value)), np.ones(n, bool), INSTANT, value.isoformat())
    elif isinstance(value, dt.date):
        return Operand(np.full(n, np.datetime64(value, "D")), np.ones(n, bool), DATE,
                       value.isoformat())
    else:
        kind = OTHER
    array = np.empty(n, dtype=object)
    array[:] = [value] * n
    return Operand(array, np.ones(n, bool), kind, repr(value))


def _instant(value: dt.datetime) -> np.datetime64:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return np.datetime64(value, "us")


def _parse_instants(operand: Operand, unit: str) -> Operand:
    """Text values read as ISO 8601 instants (or dates); unreadable ones raise."""
    out = np.full(len(operand.values), np.datetime64("NaT"), dtype=f"datetime64[{unit}]")
    for i in np.flatnonzero(operand.known):
        text = operand.values[i]
        try:
            parsed = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidParameter(
                f"filter: {operand.label} holds {text!r}, which is not a date or time") from None
        out[i] = _instant(parsed) if unit == "us" else np.datetime64(parsed.date(), "D")
    return Operand(out, operand.known, INSTANT if unit == "us" else DATE, operand.label)


def comparable(a: Operand, b: Operand) -> tuple[Operand, Operand]:
    """``a`` and ``b`` coerced to one kind, or InvalidParameter naming both."""
    if OTHER in (a.kind, b.kind) and (not a.known.any() or not b.known.any()):
        return a, b  # an all-null side compares as unknown whatever its type
    if a.kind == b.kind:
        return a, b
    for x, y, swap in ((a, b, False), (b, a, True)):
        if x.kind in (INSTANT, DATE) and y.kind == TEXT:
            y = _parse_instants(y, "us" if x.kind == INSTANT else "D")
            return (y, x) if swap else (x, y)
    if {a.kind, b.kind} == {INSTANT, DATE}:
        unit = "D"
        return (Operand(a.values.astype(f"datetime64[{unit}]"), a.known, DATE, a.label),
                Operand(b.values.astype(f"datetime64[{unit}]"), b.known, DATE, b.label))
    raise InvalidParameter(
        f"filter: cannot compare {a.label} ({a.kind}) with {b.label} ({b.kind})")


def arithmetic(op: str, a: Operand, b: Operand) -> Operand:
    """``a op b`` for numbers (+, -, *, /); division by zero gives null."""
    for side in (a, b):
        if side.kind != NUMBER and side.known.any():
            raise InvalidParameter(f"filter: arithmetic needs numbers, {side.label} is {side.kind}")
    x = a.values.astype(float) if a.kind == NUMBER else np.full(len(a.values), np.nan)
    y = b.values.astype(float) if b.kind == NUMBER else np.full(len(b.values), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](x, y)
    known = a.known & b.known & np.isfinite(value)
    return Operand(value, known, NUMBER, f"({a.label} {op} {b.label})")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def text_function(name: str, operand: Operand) -> Operand:
    """CASEI (lower) and ACCENTI on text operands."""
    if operand.kind not in (TEXT, OTHER):
        raise InvalidParameter(f"filter: {name.upper()} needs text, {operand.label} is {operand.kind}")
    change = str.lower if name == "lower" else _strip_accents
    values = np.array([change(v) if isinstance(v, str) else v for v in operand.values], dtype=object)
    return Operand(values, operand.known, TEXT, f"{name}({operand.label})")
