"""CQL2 (a checked pygeofilter AST) as a PostgreSQL ``WHERE`` clause with bound parameters.

The translation is our own rather than pygeofilter's SQL backend because that
backend renders literals into the SQL text; here every value of the request is
a bound parameter (``%s`` with a value in ``params``) and every name goes
through ``psycopg.sql.Identifier``, so no text of the request is ever spliced
into SQL. Property names have already been checked against the layer's fields
(``core.catalog.check_filter``); geometry literals are in CRS84 and are sent as
WKB, transformed to the layer's SRID inside PostgreSQL.

Semantics follow the tier-1 evaluator (``store.catalog_filter``): LIKE is
case-sensitive (ILIKE for ``casei``), ``accenti`` is the identity.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import shapely
from psycopg import sql
from pygeofilter import ast as nodes
from pygeofilter import values

from honua.errors import InvalidParameter, NotSupported
from honua.store.catalog_filter import literal_geometry

__all__ = ["Where", "where_clause"]

_COMPARISON = {nodes.ComparisonOp.EQ: "=", nodes.ComparisonOp.NE: "<>",
               nodes.ComparisonOp.LT: "<", nodes.ComparisonOp.LE: "<=",
               nodes.ComparisonOp.GT: ">", nodes.ComparisonOp.GE: ">="}
_ARITHMETIC = {nodes.ArithmeticOp.ADD: "+", nodes.ArithmeticOp.SUB: "-",
               nodes.ArithmeticOp.MUL: "*", nodes.ArithmeticOp.DIV: "/"}
_SPATIAL = {nodes.GeometryIntersects: "ST_Intersects", nodes.GeometryDisjoint: "ST_Disjoint",
            nodes.GeometryContains: "ST_Contains", nodes.GeometryWithin: "ST_Within",
            nodes.GeometryTouches: "ST_Touches", nodes.GeometryCrosses: "ST_Crosses",
            nodes.GeometryOverlaps: "ST_Overlaps", nodes.GeometryEquals: "ST_Equals"}
_FUNCTIONS = {"lower": "lower", "upper": "upper", "casei": "lower", "accenti": ""}


@dataclass
class Where:
    """A composed SQL condition and the values bound to its placeholders, in order."""

    clause: sql.Composable
    params: list[Any] = field(default_factory=list)


class _Builder:
    def __init__(self, geometry: sql.Composable, geometry_names: set[str], srid: int) -> None:
        self.geometry = geometry
        self.geometry_names = geometry_names
        self.srid = srid
        self.params: list[Any] = []

    def bind(self, value: Any) -> sql.Composable:
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameter("the filter has a number that is not finite",
                                   parameter="filter")
        if isinstance(value, bool):
            self.params.append(value)
            return sql.SQL("%s::boolean")
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise InvalidParameter("the filter has an integer out of range",
                                       parameter="filter")
            self.params.append(value)
            return sql.SQL("%s::bigint")
        if isinstance(value, float):
            self.params.append(value)
            return sql.SQL("%s::double precision")
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidParameter("the filter has a text with a NUL character",
                                       parameter="filter")
            self.params.append(value)
            return sql.SQL("%s::text")
        if isinstance(value, dt.datetime | dt.date):
            self.params.append(value)
            return sql.SQL("%s")
        raise NotSupported(f"the filter uses a {type(value).__name__} value, which this server "
                           "does not evaluate in PostgreSQL")

    def geometry_literal(self, node: Any) -> sql.Composable:
        shape = literal_geometry(node)  # CRS84
        self.params.append(shapely.to_wkb(shape))
        if self.srid == 4326:
            return sql.SQL("ST_GeomFromWKB(%s, 4326)")
        self.params.append(self.srid)
        return sql.SQL("ST_Transform(ST_GeomFromWKB(%s, 4326), %s::integer)")

    def spatial_operand(self, node: Any) -> sql.Composable:
        if isinstance(node, nodes.Attribute) and node.name in self.geometry_names:
            return self.geometry
        return self.geometry_literal(node)

    def expr(self, node: Any) -> sql.Composable:  # noqa: C901 - one branch per node kind
        if isinstance(node, nodes.Attribute):
            if node.name in self.geometry_names:
                raise InvalidParameter("the layer's geometry can only be used in a spatial test",
                                       parameter="filter")
            return sql.Identifier(node.name)
        if isinstance(node, nodes.And | nodes.Or):
            word = sql.SQL(" AND " if isinstance(node, nodes.And) else " OR ")
            return sql.SQL("({})").format(word.join([self.expr(node.lhs), self.expr(node.rhs)]))
        if isinstance(node, nodes.Not):
            return sql.SQL("(NOT {})").format(self.expr(node.sub_node))
        if isinstance(node, nodes.Comparison):
            return sql.SQL("({} {} {})").format(self.expr(node.lhs), sql.SQL(
                _COMPARISON[node.op]), self.expr(node.rhs))
        if isinstance(node, nodes.Arithmetic):
            right = self.expr(node.rhs)
            if node.op is nodes.ArithmeticOp.DIV:  # tier 1 gives null for x / 0
                right = sql.SQL("NULLIF({}, 0)").format(right)
                return sql.SQL("({}::double precision / {})").format(self.expr(node.lhs), right)
            return sql.SQL("({} {} {})").format(self.expr(node.lhs), sql.SQL(
                _ARITHMETIC[node.op]), right)
        if isinstance(node, nodes.Between):
            word = sql.SQL("NOT BETWEEN" if node.not_ else "BETWEEN")
            return sql.SQL("({} {} {} AND {})").format(self.expr(node.lhs), word,
                                                     self.expr(node.low), self.expr(node.high))
        if isinstance(node, nodes.In):
            if not node.sub_nodes:
                return sql.SQL("TRUE" if node.not_ else "FALSE")
            items = sql.SQL(", ").join([self.expr(n) for n in node.sub_nodes])
            word = sql.SQL("NOT IN" if node.not_ else "IN")
            return sql.SQL("({} {} ({}))").format(self.expr(node.lhs), word, items)
        if isinstance(node, nodes.IsNull):
            operand = (self.geometry if isinstance(node.lhs, nodes.Attribute)
                       and node.lhs.name in self.geometry_names else self.expr(node.lhs))
            return sql.SQL("({} IS {})").format(operand, sql.SQL("NOT NULL" if node.not_
                                                                 else "NULL"))
        if isinstance(node, nodes.Like):
            like = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
            return sql.SQL("({}::text {} {} ESCAPE '\\')").format(
                self.expr(node.lhs), sql.SQL(like), self.bind(node.pattern))
        if isinstance(node, nodes.Include):
            return sql.SQL("FALSE" if node.not_ else "TRUE")
        if type(node) in _SPATIAL:
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(node)]),
                                                self.spatial_operand(node.lhs),
                                                self.spatial_operand(node.rhs))
        if isinstance(node, nodes.Function):
            name = node.name.lower()
            if name not in _FUNCTIONS or len(node.arguments) != 1:
                raise NotSupported(f"the filter function {node.name!r} is not supported; use "
                                   f"one of {', '.join(sorted(_FUNCTIONS))}")
            inner = self.expr(node.arguments[0])
            return inner if not _FUNCTIONS[name] else sql.SQL("{}({}::text)").format(
                sql.SQL(_FUNCTIONS[name]), inner)
        if isinstance(node, values.Geometry | values.Envelope):
            raise InvalidParameter("a geometry literal can only be used in a spatial test",
                                   parameter="filter")
        if isinstance(node, nodes.Node | list | tuple):
            raise NotSupported(f"the filter uses {type(node).__name__}, which this server does "
                               "not evaluate in PostgreSQL")
        if node is None:
            return sql.SQL("NULL")
        return self.bind(node)


def where_clause(ast: Any, geometry: sql.Composable, geometry_names: set[str],
                 srid: int) -> Where:
    """The condition ``ast`` selects, over a layer whose geometry expression is ``geometry``
    (an identifier) in ``srid``; ``geometry_names`` are the names a filter may use for it."""
    builder = _Builder(geometry, geometry_names, srid)
    return Where(builder.expr(ast), builder.params)
