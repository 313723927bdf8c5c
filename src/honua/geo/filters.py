"""CQL2 filters (text or JSON, parsed by pygeofilter) evaluated as boolean masks over columns.

The pygeofilter syntax tree is walked once and each node becomes a numpy
operation over whole columns — there is no per-feature evaluation of the
tree. Nulls follow SQL's three-valued logic: a comparison with a null is
*unknown*, ``NOT unknown`` is unknown, ``false AND unknown`` is false, and a
feature is selected only when the filter is *true*.

Supported: ``AND OR NOT``, ``= <> < <= > >=``, ``BETWEEN``, ``LIKE`` (``%``
any run of characters, ``_`` one character, ``\\`` escapes), ``IN``, ``IS
[NOT] NULL``, arithmetic ``+ - * /``, ``CASEI`` and ``ACCENTI``, instants
(``TIMESTAMP``/``DATE`` compared with ISO 8601 text columns, ``T_AFTER``,
``T_BEFORE``, ``T_EQUALS``, ``T_DISJOINT``, and ``T_DURING``/``T_INTERSECTS``
with an interval), array predicates on JSON list columns (``A_EQUALS``,
``A_CONTAINS``, ``A_CONTAINEDBY``, ``A_OVERLAPS``), and spatial predicates
(``S_INTERSECTS`` ``S_DISJOINT`` ``S_CONTAINS`` ``S_WITHIN`` ``S_TOUCHES``
``S_CROSSES`` ``S_OVERLAPS`` ``S_EQUALS``, ``RELATE``, ``BBOX``, and — in
CQL2 JSON, which pygeofilter's text grammar lacks — ``S_DWITHIN``/``S_BEYOND``
measured on the ground) where the property names the
feature's geometry and the literal is in CRS84 unless ``filter_crs`` says
otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import shapely
import shapely.geometry
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_json import parser as _json_parser
from pygeofilter.parsers.cql2_text import parse as parse_text
from pyproj import CRS

from honua.errors import InvalidParameter
from honua.geo import filter_values as fv
from honua.geo.crs import crs84, parse_crs
from honua.geo.features import FeatureCollection
from honua.geo.filter_limits import DEFAULT_LIMITS, FilterLimits, check_json, finish, prepare_text
from honua.geo.measure import distances_m
from honua.geo.reproject import transform
from honua.geo.units import to_meters

__all__ = ["filter_mask", "parse_filter"]

Truth = tuple[np.ndarray, np.ndarray]  # (true, known)

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Equal: np.equal, ast.NotEqual: np.not_equal, ast.LessThan: np.less,
    ast.LessEqual: np.less_equal, ast.GreaterThan: np.greater, ast.GreaterEqual: np.greater_equal,
    ast.TimeEquals: np.equal, ast.TimeDisjoint: np.not_equal, ast.TimeAfter: np.greater,
    ast.TimeBefore: np.less,
}
_SPATIAL: dict[type, Callable[..., Any]] = {
    ast.GeometryIntersects: shapely.intersects, ast.GeometryDisjoint: shapely.disjoint,
    ast.GeometryContains: shapely.contains, ast.GeometryWithin: shapely.within,
    ast.GeometryTouches: shapely.touches, ast.GeometryCrosses: shapely.crosses,
    ast.GeometryOverlaps: shapely.overlaps, ast.GeometryEquals: shapely.equals,
}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mul: "*", ast.Div: "/"}

# pygeofilter 0.4 reads no distance operators from CQL2 JSON; its table maps an
# operator to a node built from the walked arguments, which for these is
# (property, geometry, distance, units) — exactly the node's fields.
for _name, _node in (("s_dwithin", ast.DistanceWithin), ("dwithin", ast.DistanceWithin),
                     ("s_beyond", ast.DistanceBeyond), ("beyond", ast.DistanceBeyond)):
    _json_parser.BINARY_OP_PREDICATES_MAP.setdefault(_name, _node)


def parse_filter(text: str | dict[str, Any], lang: str = "auto",
                 limits: FilterLimits = DEFAULT_LIMITS) -> Any:
    """The pygeofilter tree of a CQL2 filter; ``lang``: auto, cql2-text or cql2-json;
    within ``limits`` (``honua.geo.filter_limits``)."""
    if lang == "auto":
        lang = "cql2-json" if isinstance(text, dict) or str(text).lstrip()[:1] in "{[" else "cql2-text"
    try:
        if lang == "cql2-json":
            if isinstance(text, str | bytes) and len(text) > limits.max_length:
                prepare_text(str(text), limits)  # refuses it with the length's message
            document = orjson.loads(text) if isinstance(text, str | bytes) else text
            check_json(document, limits)
            return finish(parse_json(_standard_json(document)), (), limits)
        prepared, geometries = prepare_text(str(text), limits)
        return finish(parse_text(prepared), geometries, limits)
    except InvalidParameter:
        raise
    except Exception as exc:  # pygeofilter raises lark, JSON and plain Python errors alike
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = (" (put property names of one letter, or with spaces, in double quotes: \"b\" > 1)"
                if lang == "cql2-text" else "")
        raise InvalidParameter(f"filter: not a valid {lang} expression: {first_line}{hint}") from None


def _standard_json(node: Any) -> Any:
    """Standard CQL2 JSON rewritten where pygeofilter 0.4 reads it differently."""
    if isinstance(node, list):
        return [_standard_json(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) in (4, 6):
        b = node["bbox"] if len(node["bbox"]) == 4 else [node["bbox"][i] for i in (0, 1, 3, 4)]
        return shapely.geometry.mapping(shapely.box(*b))  # pygeofilter swaps bbox axes
    out = {k: _standard_json(v) for k, v in node.items()}
    args = out.get("args")
    if out.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]  # pygeofilter wants [value, [low, high]]
    return out


def filter_mask(collection: FeatureCollection, tree: Any, *, filter_crs: CRS | None = None) -> np.ndarray:
    """True for the features the filter selects.

    >>> fc = FeatureCollection.from_geometries([None] * 3, size=[1, None, 3], kind=["a", "b", None])
    >>> filter_mask(fc, parse_filter("size > 1 OR kind = 'a'")).tolist()
    [True, False, True]
    >>> filter_mask(fc, parse_filter("NOT size > 1")).tolist()
    [True, False, False]
    """
    true, known = _Evaluator(collection, filter_crs or crs84()).truth(tree)
    return true & known


class _Evaluator:
    def __init__(self, collection: FeatureCollection, filter_crs: CRS) -> None:
        self.collection = collection
        self.n = len(collection)
        self.filter_crs = filter_crs

    # --- predicates -> (true, known) ------------------------------------------------------
    def truth(self, node: Any) -> Truth:
        if isinstance(node, bool):
            return np.full(self.n, node), np.ones(self.n, bool)
        if isinstance(node, ast.Not):
            true, known = self.truth(node.sub_node)
            return ~true & known, known
        if isinstance(node, ast.And | ast.Or):
            (ta, ka), (tb, kb) = self.truth(node.lhs), self.truth(node.rhs)
            if isinstance(node, ast.And):
                return ta & tb & ka & kb, (ka & kb) | (ka & ~ta) | (kb & ~tb)
            return (ta & ka) | (tb & kb), (ka & kb) | (ka & ta) | (kb & tb)
        handler = self._handler(node)
        true, known = handler(node)
        return (~true & known if getattr(node, "not_", False) else true), known

    def _handler(self, node: Any) -> Callable[[Any], Truth]:
        for kinds, handler in (
            (tuple(_COMPARE), self._compare), ((ast.Between,), self._between),
            ((ast.Like,), self._like), ((ast.In,), self._in), ((ast.IsNull,), self._is_null),
            ((ast.Exists,), self._exists), ((ast.Include,), self._include),
            ((ast.TimeDuring, ast.TimeOverlaps, ast.TimeContains), self._during),
            ((ast.ArrayPredicate,), self._array), (tuple(_SPATIAL), self._spatial),
            ((ast.Relate,), self._spatial), ((ast.BBox,), self._bbox),
            ((ast.SpatialDistancePredicate,), self._distance),
        ):
            if isinstance(node, kinds):
                return handler
        raise InvalidParameter(f"filter: {type(node).__name__} is not supported")

    def _compare(self, node: Any) -> Truth:
        a, b = fv.comparable(self.operand(node.lhs), self.operand(node.rhs))
        return self._apply(_COMPARE[type(node)], a, b)

    def _apply(self, op: Callable[[Any, Any], Any], a: fv.Operand, b: fv.Operand) -> Truth:
        known = a.known & b.known
        true = np.zeros(self.n, bool)
        if known.any():
            true[known] = np.asarray(op(a.values[known], b.values[known]), dtype=bool)
        return true, known

    def _between(self, node: Any) -> Truth:
        value = self.operand(node.lhs)
        low, lowv = fv.comparable(value, self.operand(node.low))
        high, highv = fv.comparable(value, self.operand(node.high))
        t1, k1 = self._apply(np.greater_equal, low, lowv)
        t2, k2 = self._apply(np.less_equal, high, highv)
        return t1 & t2, k1 & k2

    def _like(self, node: Any) -> Truth:
        value = self.operand(node.lhs)
        regex = re.compile(_like_regex(str(node.pattern)), re.S | (re.IGNORECASE if node.nocase else 0))
        true = np.array([isinstance(v, str) and regex.fullmatch(v) is not None
                         for v in value.values], dtype=bool)
        return true & value.known, value.known

    def _in(self, node: Any) -> Truth:
        value = self.operand(node.lhs)
        true, known = np.zeros(self.n, bool), value.known.copy()
        for item in node.sub_nodes:
            t, _ = self._apply(np.equal, *fv.comparable(value, self.operand(item)))
            true |= t
        return true, known

    def _is_null(self, node: Any) -> Truth:
        if isinstance(node.lhs, ast.Attribute) and self._is_geometry(node.lhs.name):
            return shapely.is_missing(self.collection.geometry), np.ones(self.n, bool)
        return ~self.operand(node.lhs).known, np.ones(self.n, bool)

    def _exists(self, node: Any) -> Truth:
        return np.full(self.n, node.lhs.name in self.collection.columns), np.ones(self.n, bool)

    def _include(self, node: Any) -> Truth:
        return np.ones(self.n, bool), np.ones(self.n, bool)

    def _during(self, node: Any) -> Truth:
        interval = node.rhs
        if not isinstance(interval, values.Interval):
            raise InvalidParameter(f"filter: {type(node).__name__} needs an interval")
        value = self.operand(node.lhs)
        true, known = np.ones(self.n, bool), value.known.copy()
        for bound, op in ((interval.start, np.greater_equal), (interval.end, np.less_equal)):
            if bound is not None and bound != "..":
                t, k = self._apply(op, *fv.comparable(value, self.operand(bound)))
                true &= t
                known &= k
        return true, known

    def _array(self, node: Any) -> Truth:
        value, other = self.operand(node.lhs), self.operand(node.rhs)
        test: Callable[[Any, Any], bool] = {ast.ArrayEquals: lambda a, b: list(a) == list(b),
                ast.ArrayContains: lambda a, b: set(map(repr, b)) <= set(map(repr, a)),
                ast.ArrayContainedBy: lambda a, b: set(map(repr, a)) <= set(map(repr, b)),
                ast.ArrayOverlaps: lambda a, b: bool(set(map(repr, a)) & set(map(repr, b)))
                }[type(node)]
        known = value.known & other.known
        true = np.array([bool(k) and isinstance(a, list) and isinstance(b, list) and test(a, b)
                         for a, b, k in zip(value.values, other.values, known, strict=True)],
                        dtype=np.bool_)
        return true, known

    # --- spatial ----------------------------------------------------------------------------
    def _spatial(self, node: Any) -> Truth:
        geometry, shape = self._geometry_pair(node.lhs, node.rhs)
        if isinstance(node, ast.Relate):
            result = shapely.relate_pattern(geometry, shape, node.pattern)
        else:
            result = _SPATIAL[type(node)](geometry, shape)
        known = ~shapely.is_missing(geometry)
        return np.asarray(result, dtype=bool) & known, known

    def _bbox(self, node: Any) -> Truth:
        crs = self.filter_crs if node.crs is None else parse_crs(node.crs)
        box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
        shape = self._to_layer(box, crs)
        geometry = self.collection.geometry
        known = ~shapely.is_missing(geometry)
        return np.asarray(shapely.intersects(geometry, shape), dtype=bool) & known, known

    def _distance(self, node: Any) -> Truth:
        geometry, shape = self._geometry_pair(node.lhs, node.rhs)
        limit = to_meters(float(node.distance), str(node.units or "meters"))
        ground = distances_m(geometry, np.full(self.n, shape, dtype=object), self.collection.crs)
        known = ~np.isnan(ground)
        within = np.where(known, ground <= limit, False)
        return (within if isinstance(node, ast.DistanceWithin) else ~within & known), known

    def _geometry_pair(self, lhs: Any, rhs: Any) -> tuple[np.ndarray, Any]:
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, ast.Attribute):
            raise InvalidParameter("filter: a spatial predicate compares the feature geometry "
                                   "(a property) with a geometry literal")
        return self.collection.geometry, self._to_layer(_literal_geometry(rhs), self.filter_crs)

    def _to_layer(self, shape: Any, crs: CRS) -> Any:
        shapely.prepare(shape)
        if crs == self.collection.crs:
            return shape
        moved = transform(np.array([shape], dtype=object), crs, self.collection.crs)[0]
        shapely.prepare(moved)
        return moved

    def _is_geometry(self, name: str) -> bool:
        return name not in self.collection.columns and name.lower() in (
            "geometry", "geom", "the_geom", "shape", "wkb_geometry")

    # --- operands ---------------------------------------------------------------------------
    def operand(self, node: Any) -> fv.Operand:
        if isinstance(node, ast.Attribute):
            if node.name not in self.collection.columns:
                known = ", ".join(self.collection.columns) or "no fields"
                raise InvalidParameter(
                    f"filter: unknown property {node.name!r}; the features have: {known}")
            return fv.column_operand(node.name, list(self.collection.columns[node.name]))
        if isinstance(node, ast.Arithmetic):
            return fv.arithmetic(_ARITHMETIC[type(node)], self.operand(node.lhs),
                                 self.operand(node.rhs))
        if isinstance(node, ast.Function):
            if node.name in ("lower", "accenti", "casei") and len(node.arguments) == 1:
                return fv.text_function("lower" if node.name != "accenti" else "accenti",
                                        self.operand(node.arguments[0]))
            raise InvalidParameter(f"filter: unknown function {node.name!r}")
        return fv.literal_operand(node, self.n)


def _like_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return "".join(out)


def _literal_geometry(node: Any) -> Any:
    if isinstance(node, values.Geometry | values.Envelope):
        return shapely.geometry.shape(node.__geo_interface__)
    if isinstance(node, ast.Function) and node.name == "bbox" and len(node.arguments) in (4, 6):
        b = node.arguments if len(node.arguments) == 4 else [node.arguments[i] for i in (0, 1, 3, 4)]
        return shapely.box(*(float(v) for v in b))
    raise InvalidParameter(f"filter: expected a geometry literal, got {node!r}")
