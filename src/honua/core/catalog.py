"""The catalog's neutral values: a layer's description, a query, CQL2 filters, time-to-live.

Adapters turn their requests into a ``FeatureQuery`` (a parsed CQL2 filter,
a bbox in CRS84, the properties wanted, a window); any ``honua.types.Catalog``
answers it, pushing the filter down where the layer lives. Filters are parsed
with pygeofilter from CQL2 text or CQL2 JSON and checked against the layer's
queryables here, so an unknown property or a malformed filter is refused with a
message naming it before any store is asked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pygeofilter import ast as nodes
from pygeofilter import values
from pyproj import CRS

from honua.errors import InvalidParameter, NotFound, NotSupported
from honua.geo.crs import crs84
from honua.geo.features import Field
from honua.geo.filter_limits import DEFAULT_LIMITS, FilterLimits, check_json, finish, prepare_text

__all__ = [
    "FILTER_LANGS", "GEOMETRY_NAMES", "FeatureQuery", "LayerInfo", "NoSuchLayer", "check_filter",
    "check_layer_id", "parse_duration", "parse_filter", "referenced_properties",
]

FILTER_LANGS = ("cql2-text", "cql2-json")
GEOMETRY_NAMES = ("geometry", "geom")
"""Names a filter may use for a layer's geometry (besides its own geometry column name)."""
_LAYER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")


class NoSuchLayer(NotFound):
    kind = "not-found"


@dataclass(frozen=True)
class LayerInfo:
    """One collection of the catalog, as every adapter describes it."""

    id: str
    title: str
    fields: tuple[Field, ...]
    geometry_type: str = "Unknown"
    crs: CRS = field(default_factory=crs84)
    extent: tuple[float, float, float, float] | None = None
    """Bounding box in CRS84 (lon/lat)."""
    count: int = 0
    description: str = ""
    owner: str = ""
    tenant: str = ""
    created: dt.datetime | None = None
    expires: dt.datetime | None = None
    registered: bool = False
    """An output registered by a job (removable, with a time-to-live), not a configured file."""
    geometry_name: str = "geometry"
    job_id: str = ""
    """The job whose output this registered layer is ("" for configured layers)."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class FeatureQuery:
    """Which features of a layer: filter (parsed CQL2), bbox (CRS84), properties, window."""

    filter: Any = None
    bbox: tuple[float, float, float, float] | None = None
    properties: tuple[str, ...] | None = None
    limit: int | None = None
    offset: int = 0


def check_layer_id(collection_id: str) -> str:
    if not isinstance(collection_id, str) or not _LAYER_ID.match(collection_id):
        raise InvalidParameter(
            f"{collection_id!r} is not a valid collection id: start with a letter, then up to "
            "63 letters, digits, '_', '-' or '.'", parameter="collectionId")
    return collection_id


def _position(exc: Exception) -> str:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    return f" at line {line}, column {column}" if line and column else ""


def parse_filter(value: Any, lang: str | None = None,
                 limits: FilterLimits = DEFAULT_LIMITS) -> Any:
    """A pygeofilter AST from CQL2 text (a string) or CQL2 JSON (an object or its text),
    within ``limits`` (``honua.geo.filter_limits``)."""
    if value is None or value == "":
        return None
    if lang is None:
        lang = "cql2-text" if isinstance(value, str) and not value.lstrip().startswith("{") \
            else "cql2-json"
    if lang not in FILTER_LANGS:
        raise InvalidParameter(f"filter-lang {lang!r} is not supported; use cql2-text or cql2-json",
                               parameter="filter-lang")
    try:
        if lang == "cql2-text":
            from pygeofilter.parsers.cql2_text import parse as parse_text  # builds a grammar

            if not isinstance(value, str):
                raise InvalidParameter("a cql2-text filter must be a string", parameter="filter")
            text, geometries = prepare_text(value, limits)
            return finish(parse_text(text), geometries, limits)
        from pygeofilter.parsers.cql2_json import parse as parse_json

        if isinstance(value, str):
            import orjson

            if len(value) > limits.max_length:
                prepare_text(value, limits)  # refuses it with the length's message
            value = orjson.loads(value)
        if not isinstance(value, Mapping):
            raise InvalidParameter("a cql2-json filter must be a JSON object", parameter="filter")
        check_json(value, limits)
        return finish(parse_json(dict(value)), (), limits)
    except InvalidParameter:
        raise
    except Exception as exc:  # lark and pygeofilter raise many kinds for bad input
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidParameter(f"the filter is not valid {lang}{_position(exc)}: {first}",
                               parameter="filter") from None


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = node.get_sub_nodes() if hasattr(node, "get_sub_nodes") else []
    for child in children or ():
        if isinstance(child, list):
            for item in child:
                yield from _walk(item)
        else:
            yield from _walk(child)


def referenced_properties(ast: Any) -> set[str]:
    """The property names a parsed filter refers to."""

    return {n.name for n in _walk(ast) if isinstance(n, nodes.Attribute)}


def check_filter(ast: Any, layer: LayerInfo) -> Any:
    """``ast`` if every property it names is a queryable of ``layer``; else InvalidParameter."""
    if ast is None:
        return None

    names = {f.name for f in layer.fields} | set(GEOMETRY_NAMES) | {layer.geometry_name}
    unknown = sorted(referenced_properties(ast) - names)
    if unknown:
        queryables = ", ".join([f.name for f in layer.fields] + ["geometry"])
        raise InvalidParameter(
            f"the filter names unknown propert{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(u) for u in unknown)}; the queryables of {layer.id!r} are: "
            f"{queryables}", parameter="filter")
    for node in _walk(ast):
        if isinstance(node, nodes.TemporalPredicate | nodes.ArrayPredicate):
            raise NotSupported(f"the filter uses {type(node).__name__}, which this server does "
                               "not evaluate yet; use comparisons on the date field instead")
        _check_types(node, layer)
    return ast


_KINDS = {"string": "text", "integer": "number", "double": "number"}


def _kind(node: Any, layer: LayerInfo) -> str | None:
    """'text' or 'number' when a filter operand's type is known, else None."""

    if isinstance(node, nodes.Attribute):
        field_ = layer.field(node.name)
        return _KINDS.get(field_.type) if field_ is not None else None
    if isinstance(node, nodes.Arithmetic):
        return "number"
    if isinstance(node, nodes.Function) and node.name.lower() in ("lower", "upper", "casei",
                                                                  "accenti"):
        return "text"
    if isinstance(node, bool):
        return None
    if isinstance(node, str):
        return "text"
    if isinstance(node, int | float):
        return "number"
    return None


def _check_types(node: Any, layer: LayerInfo) -> None:
    """Refuse comparisons of text with numbers, LIKE on numbers and arithmetic on text (CQL2)."""

    if isinstance(node, nodes.SpatialComparisonPredicate):
        for operand in (node.lhs, node.rhs):
            geometric = (isinstance(operand, values.Geometry | values.Envelope)
                         or (isinstance(operand, nodes.Function) and operand.name.lower() == "bbox")
                         or (isinstance(operand, nodes.Attribute) and operand.name in
                             (*GEOMETRY_NAMES, layer.geometry_name)))
            if not geometric:
                raise InvalidParameter(
                    f"the spatial test {type(node).__name__} needs geometries: the layer's "
                    f"geometry or a geometry literal, not {_operand(operand)}", parameter="filter")
        return
    if isinstance(node, nodes.Comparison):
        pairs = [(node.lhs, node.rhs)]
    elif isinstance(node, nodes.Between):
        pairs = [(node.lhs, node.low), (node.lhs, node.high)]
    elif isinstance(node, nodes.In):
        pairs = [(node.lhs, item) for item in node.sub_nodes]
    elif isinstance(node, nodes.Like):
        pairs = [(node.lhs, node.pattern)]
    elif isinstance(node, nodes.Arithmetic):
        for operand in (node.lhs, node.rhs):
            if _kind(operand, layer) == "text":
                raise InvalidParameter(f"the filter does arithmetic on {_operand(operand)} "
                                       "(text); CQL2 arithmetic needs numbers", parameter="filter")
        return
    else:
        return
    for left, right in pairs:
        kinds = (_kind(left, layer), _kind(right, layer))
        if None not in kinds and kinds[0] != kinds[1]:
            raise InvalidParameter(
                f"the filter compares {_operand(left)} ({kinds[0]}) with "
                f"{_operand(right)} ({kinds[1]}); CQL2 needs operands of the same type",
                parameter="filter")


def _operand(node: Any) -> str:
    name = getattr(node, "name", None)
    if isinstance(name, str):
        return f"property {name!r}" if not getattr(node, "arguments", None) else f"{name}(...)"
    return repr(node) if isinstance(node, str | int | float) else "an expression"


def check_properties(properties: Sequence[str] | None, layer: LayerInfo) -> tuple[str, ...] | None:
    if properties is None:
        return None
    unknown = [p for p in properties if layer.field(p) is None]
    if unknown:
        raise InvalidParameter(
            f"unknown propert{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(repr(u) for u in unknown)}; {layer.id!r} has: "
            f"{', '.join(f.name for f in layer.fields) or 'no properties'}", parameter="properties")
    return tuple(properties)


_TTL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_TTL_UNITS = {"": 3600.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


MAX_DURATION = dt.timedelta(days=36500)
"""Longer durations are refused before they are built (``timedelta`` overflows far above)."""


def parse_duration(value: Any, name: str = "ttl") -> dt.timedelta:
    """A duration from ``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``, ``"2w"`` or hours as a number."""
    if isinstance(value, bool):
        raise InvalidParameter(f"{name} must be a duration such as '7d' or '12h'", parameter=name)
    if isinstance(value, int | float):
        seconds = float(value) * 3600
    else:
        match = _TTL.match(str(value))
        if not match:
            raise InvalidParameter(f"{name} {value!r} is not a duration; write e.g. '7d', '12h' "
                                   "or '30m'", parameter=name)
        seconds = float(match.group(1)) * _TTL_UNITS[match.group(2).lower()]
    if not seconds > 0 or seconds != seconds:
        raise InvalidParameter(f"{name} must be positive", parameter=name)
    if seconds > MAX_DURATION.total_seconds():
        raise InvalidParameter(f"{name} {value!r} is longer than 100 years", parameter=name)
    return dt.timedelta(seconds=seconds)
