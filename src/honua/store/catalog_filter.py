"""CQL2 (a pygeofilter AST) pushed down into an OGR read, and what is left evaluated per chunk.

``plan`` splits a filter's top-level AND into three parts:

* an SQL ``WHERE`` for the attribute conditions (comparisons, LIKE, IN,
  BETWEEN, IS NULL, arithmetic, AND/OR/NOT), in the subset that both OGR SQL
  and SQLite (GeoPackage) understand. Identifiers are double-quoted and
  literals are rendered by this module only (strings with quotes doubled,
  numbers from Python numbers), so no text of the request reaches the SQL
  unquoted;
* a spatial ``mask`` (OGR's spatial filter, exact intersection) for
  ``S_INTERSECTS(geometry, <literal>)``;
* a *residual* for anything else (other spatial predicates, functions, spatial
  tests under OR/NOT), evaluated vectorised with shapely on each chunk as it is
  read: still streamed, never the whole layer at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pygeofilter import ast as nodes
from pygeofilter import values
from pyproj import CRS

from honua.errors import InvalidParameter, NotSupported
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection
from honua.geo.filter_limits import combine
from honua.geo.reproject import transform

__all__ = ["Plan", "evaluate", "literal_geometry", "plan"]

_COMPARISON = {nodes.ComparisonOp.EQ: "=", nodes.ComparisonOp.NE: "<>",
               nodes.ComparisonOp.LT: "<", nodes.ComparisonOp.LE: "<=",
               nodes.ComparisonOp.GT: ">", nodes.ComparisonOp.GE: ">="}
_ARITHMETIC = {nodes.ArithmeticOp.ADD: "+", nodes.ArithmeticOp.SUB: "-",
               nodes.ArithmeticOp.MUL: "*", nodes.ArithmeticOp.DIV: "/"}


class _NotSql(Exception):
    """This part of the filter has no SQL form: evaluate it in Python."""


@dataclass(frozen=True)
class Plan:
    where: str | None = None
    mask: Any = None
    residual: Any = None


# -- literals ------------------------------------------------------------------------------------
def literal_geometry(node: Any, layer_crs: CRS | None = None) -> Any:
    """A shapely geometry from a CQL2 geometry/envelope/BBOX literal (CRS84), in ``layer_crs``."""
    if isinstance(node, values.Geometry):
        shape = shapely.geometry.shape(node.geometry)
    elif isinstance(node, values.Envelope):
        # pygeofilter's CQL2 JSON parser fills Envelope(x1, x2, y1, y2) positionally from
        # {"bbox": [minx, miny, maxx, maxy]}: the fields hold the bbox in that order.
        shape = shapely.box(node.x1, node.x2, node.y1, node.y2)
    elif isinstance(node, nodes.Function) and node.name.lower() == "bbox":
        args = [float(a) for a in node.arguments]
        if len(args) == 6:
            args = [args[0], args[1], args[3], args[4]]
        shape = shapely.box(*args)
    else:
        raise _NotSql()
    if layer_crs is not None and not layer_crs.equals(crs84(), ignore_axis_order=True):
        shape = transform(np.array([shape], dtype=object), crs84(), layer_crs)[0]
    return shape


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameter("the filter has a number that is not finite", parameter="filter")
        return repr(float(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise _NotSql()  # dates, geometries, lists: not pushed down


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql(node: Any, geometry_names: set[str]) -> str:
    if isinstance(node, nodes.Attribute):
        if node.name in geometry_names:
            raise _NotSql()
        return _identifier(node.name)
    if isinstance(node, nodes.And | nodes.Or):
        word = "AND" if isinstance(node, nodes.And) else "OR"
        return f"({_sql(node.lhs, geometry_names)} {word} {_sql(node.rhs, geometry_names)})"
    if isinstance(node, nodes.Not):
        return f"(NOT {_sql(node.sub_node, geometry_names)})"
    if isinstance(node, nodes.Comparison):
        return (f"({_sql(node.lhs, geometry_names)} {_COMPARISON[node.op]} "
                f"{_sql(node.rhs, geometry_names)})")
    if isinstance(node, nodes.Arithmetic):
        return (f"({_sql(node.lhs, geometry_names)} {_ARITHMETIC[node.op]} "
                f"{_sql(node.rhs, geometry_names)})")
    if isinstance(node, nodes.Between):
        word = "NOT BETWEEN" if node.not_ else "BETWEEN"
        return (f"({_sql(node.lhs, geometry_names)} {word} {_sql(node.low, geometry_names)} "
                f"AND {_sql(node.high, geometry_names)})")
    if isinstance(node, nodes.In):
        if not node.sub_nodes:
            return "(1 = 0)" if not node.not_ else "(1 = 1)"
        items = ", ".join(_sql(n, geometry_names) for n in node.sub_nodes)
        return f"({_sql(node.lhs, geometry_names)} {'NOT IN' if node.not_ else 'IN'} ({items}))"
    if isinstance(node, nodes.IsNull):
        return f"({_sql(node.lhs, geometry_names)} IS {'NOT NULL' if node.not_ else 'NULL'})"
    if isinstance(node, nodes.Like):
        # CQL2 patterns are SQL's (% and _); OGR and SQLite match them case-insensitively,
        # a superset: ``plan`` keeps the LIKE in the residual for the exact test.
        word = "NOT LIKE" if node.not_ else "LIKE"
        return f"({_sql(node.lhs, geometry_names)} {word} {_sql_literal(node.pattern)})"
    if isinstance(node, nodes.Include):
        return "(1 = 0)" if node.not_ else "(1 = 1)"
    if isinstance(node, nodes.Node | values.Geometry | values.Envelope | list | tuple):
        raise _NotSql()
    return _sql_literal(node)


def _conjuncts(node: Any) -> list[Any]:
    found, stack = [], [node]
    while stack:  # without recursion: an AND of thousands of terms
        node = stack.pop()
        if isinstance(node, nodes.And):
            stack += [node.rhs, node.lhs]
        else:
            found.append(node)
    return found


def _nodes(node: Any) -> list[Any]:
    found = [node]
    for child in node.get_sub_nodes() if hasattr(node, "get_sub_nodes") else ():
        for item in child if isinstance(child, list) else [child]:
            found.extend(_nodes(item))
    return found


def _like_superset(node: Any, negated: bool = False) -> bool:
    """Whether case-insensitive SQL matching of ``node`` selects a superset of CQL2's."""
    if isinstance(node, nodes.Like):
        return bool(node.not_ == negated)
    if isinstance(node, nodes.Not):
        return _like_superset(node.sub_node, not negated)
    if isinstance(node, nodes.And | nodes.Or):
        return _like_superset(node.lhs, negated) and _like_superset(node.rhs, negated)
    return True


def plan(ast: Any, geometry_names: Sequence[str], layer_crs: CRS) -> Plan:
    """Split a filter into SQL, spatial mask and residual (see the module docstring)."""
    if ast is None:
        return Plan()
    names = set(geometry_names)
    where: list[str] = []
    masks: list[Any] = []
    residual: list[Any] = []
    for part in _conjuncts(ast):
        if (isinstance(part, nodes.GeometryIntersects) and isinstance(part.lhs, nodes.Attribute)
                and part.lhs.name in names):
            try:
                masks.append(literal_geometry(part.rhs, layer_crs))
                continue
            except _NotSql:
                pass
        likes = [n for n in _nodes(part) if isinstance(n, nodes.Like)]
        try:
            sql = _sql(part, names)
        except _NotSql:
            residual.append(part)
            continue
        if not likes:
            where.append(sql)
            continue
        if _like_superset(part):
            where.append(sql)  # narrows the read; the exact (case-sensitive) test follows
        residual.append(part)
    mask = None
    if masks:
        mask = masks[0] if len(masks) == 1 else shapely.intersection_all(masks)
    # balanced, not chained: SQLite refuses expressions nested over 1000 deep, and the
    # residual is evaluated recursively
    rest = combine(nodes.And, residual) if residual else None
    clause: str | None = None
    if where:
        joined: str = combine(lambda a, b: f"({a} AND {b})", where)
        clause = joined[1:-1] if len(where) > 1 else joined  # the outermost AND needs none
    return Plan(clause, mask, rest)


# -- evaluation of the residual on one chunk ------------------------------------------------------
_SPATIAL: dict[type, Callable[[Any, Any], Any]] = {
    nodes.GeometryIntersects: shapely.intersects, nodes.GeometryDisjoint: shapely.disjoint,
    nodes.GeometryContains: shapely.contains, nodes.GeometryWithin: shapely.within,
    nodes.GeometryTouches: shapely.touches, nodes.GeometryCrosses: shapely.crosses,
    nodes.GeometryOverlaps: shapely.overlaps, nodes.GeometryEquals: shapely.equals,
}
_OPS: dict[Any, Callable[[Any, Any], Any]] = {
    nodes.ComparisonOp.EQ: lambda a, b: a == b, nodes.ComparisonOp.NE: lambda a, b: a != b,
    nodes.ComparisonOp.LT: lambda a, b: a < b, nodes.ComparisonOp.LE: lambda a, b: a <= b,
    nodes.ComparisonOp.GT: lambda a, b: a > b, nodes.ComparisonOp.GE: lambda a, b: a >= b,
    nodes.ArithmeticOp.ADD: lambda a, b: a + b, nodes.ArithmeticOp.SUB: lambda a, b: a - b,
    nodes.ArithmeticOp.MUL: lambda a, b: a * b, nodes.ArithmeticOp.DIV: lambda a, b: a / b,
}
_FUNCTIONS: dict[str, Callable[[str], str]] = {
    "lower": str.lower, "upper": str.upper, "casei": str.casefold, "accenti": lambda s: s}


def _elementwise(op: Callable[[Any, Any], Any], a: Any, b: Any, n: int) -> np.ndarray:
    a_list = a if isinstance(a, list) else [a] * n
    b_list = b if isinstance(b, list) else [b] * n
    out = []
    for x, y in zip(a_list, b_list, strict=True):
        try:
            out.append(None if x is None or y is None else op(x, y))
        except (TypeError, ZeroDivisionError):
            out.append(None)
    return out  # type: ignore[return-value]


def _truth(values_: Any, n: int) -> np.ndarray:
    if isinstance(values_, np.ndarray) and values_.dtype == bool:
        return values_
    items = values_ if isinstance(values_, list) else [values_] * n
    return np.array([bool(v) if v is not None else False for v in items], dtype=bool)


def _value(node: Any, chunk: FeatureCollection, geometry_names: set[str], crs: CRS) -> Any:
    n = len(chunk)
    if isinstance(node, nodes.Attribute):
        if node.name in geometry_names:
            return chunk.geometry
        return list(chunk.columns[node.name])
    if isinstance(node, nodes.Function):
        if node.name.lower() == "bbox":
            return literal_geometry(node, crs)
        function = _FUNCTIONS.get(node.name.lower())
        if function is None or len(node.arguments) != 1:
            raise NotSupported(f"the filter function {node.name!r} is not supported; "
                               f"use one of {', '.join(sorted(_FUNCTIONS))}")
        argument = _value(node.arguments[0], chunk, geometry_names, crs)
        return _elementwise(lambda s, _: function(s) if isinstance(s, str) else s, argument,
                            0, n)
    if isinstance(node, values.Geometry | values.Envelope):
        return literal_geometry(node, crs)
    if isinstance(node, nodes.Arithmetic):
        return _elementwise(_OPS[node.op], _value(node.lhs, chunk, geometry_names, crs),
                            _value(node.rhs, chunk, geometry_names, crs), n)
    if isinstance(node, nodes.Node):
        return _mask(node, chunk, geometry_names, crs)
    return node


def _like_regex(pattern: str, nocase: bool) -> re.Pattern[str]:
    """CQL2 LIKE: ``%`` any run, ``_`` one character, ``\\`` escapes the next one."""
    out, escape = [], False
    for char in pattern:
        if escape:
            out.append(re.escape(char))
            escape = False
        elif char == "\\":
            escape = True
        else:
            out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("^" + "".join(out) + "$", re.DOTALL | (re.IGNORECASE if nocase else 0))


def _like(node: nodes.Like, column: Any, n: int) -> np.ndarray:
    regex = _like_regex(node.pattern, node.nocase)
    items = column if isinstance(column, list) else [column] * n
    found = np.array([isinstance(v, str) and regex.match(v) is not None for v in items], dtype=bool)
    return ~found if node.not_ else found


def _mask(node: Any, chunk: FeatureCollection, names: set[str], crs: CRS) -> np.ndarray:
    n = len(chunk)

    def value(x: Any) -> Any:
        return _value(x, chunk, names, crs)

    if isinstance(node, nodes.And):
        return _mask(node.lhs, chunk, names, crs) & _mask(node.rhs, chunk, names, crs)
    if isinstance(node, nodes.Or):
        return _mask(node.lhs, chunk, names, crs) | _mask(node.rhs, chunk, names, crs)
    if isinstance(node, nodes.Not):
        return ~_mask(node.sub_node, chunk, names, crs)
    if type(node) in _SPATIAL:
        a, b = value(node.lhs), value(node.rhs)
        return np.asarray(_SPATIAL[type(node)](a, b), dtype=bool) & ~shapely.is_missing(
            a if isinstance(a, np.ndarray) else b)
    if isinstance(node, nodes.Comparison):
        return _truth(_elementwise(_OPS[node.op], value(node.lhs), value(node.rhs), n), n)
    if isinstance(node, nodes.Between):
        low = _elementwise(_OPS[nodes.ComparisonOp.GE], value(node.lhs), value(node.low), n)
        high = _elementwise(_OPS[nodes.ComparisonOp.LE], value(node.lhs), value(node.high), n)
        inside = _truth(low, n) & _truth(high, n)
        return ~inside if node.not_ else inside
    if isinstance(node, nodes.In):
        column, options = value(node.lhs), [value(s) for s in node.sub_nodes]
        items = column if isinstance(column, list) else [column] * n
        found = np.array([v in options for v in items], dtype=bool)
        return ~found if node.not_ else found
    if isinstance(node, nodes.IsNull):
        column = value(node.lhs)
        items = list(shapely.is_missing(column)) if isinstance(column, np.ndarray) else [
            v is None for v in column]
        missing = np.array(items, dtype=bool)
        return ~missing if node.not_ else missing
    if isinstance(node, nodes.Like):
        return _like(node, value(node.lhs), n)
    if isinstance(node, nodes.Include):
        return np.zeros(n, dtype=bool) if node.not_ else np.ones(n, dtype=bool)
    raise NotSupported(f"the filter uses {type(node).__name__}, which this server does not "
                       "evaluate")


def evaluate(ast: Any, chunk: FeatureCollection, geometry_names: Sequence[str]) -> np.ndarray:
    """A boolean mask of the features of ``chunk`` (in its own CRS) that ``ast`` selects."""
    if len(chunk) == 0:
        return np.zeros(0, dtype=bool)
    return _mask(ast, chunk, set(geometry_names), chunk.crs)
