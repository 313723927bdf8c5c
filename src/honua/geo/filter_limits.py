"""Bounds on CQL2 filters, checked before and after pygeofilter parses them.

A filter is hostile input: its text is parsed by a pure-Python grammar (lark)
and its tree walked by recursive code here, in pygeofilter and in GDAL/SQLite
(whose SQL has an expression depth limit of 1000). So, cheapest first:

* before parsing: the text's length, its count of ``AND``/``OR``/``NOT``, its
  parenthesis depth, and its geometry literals, which are cut out of the text
  and read by GEOS (``shapely.from_wkt``, C) instead of the grammar — a
  40,000-vertex polygon costs milliseconds, not seconds — and whose vertices
  are counted; CQL2 JSON is measured (depth, operators, coordinates) without
  recursion before pygeofilter walks it;
* after parsing: chains of ``AND``/``OR`` (which the parser builds as one
  left-deep branch per term) are rebalanced, so 5,000 terms nest 13 deep and
  not 5,000; then the exact number of predicates and the depth are checked.

Every refusal is an ``InvalidParameter`` on ``filter`` naming the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import shapely
from pygeofilter import ast, values

from honua.errors import InvalidParameter
from honua.settings import Settings

__all__ = ["DEFAULT_LIMITS", "FilterLimits", "check_json", "combine", "finish", "prepare_text"]


@dataclass(frozen=True)
class FilterLimits:
    """The largest filter a request may carry (server settings ``filter_max_*``)."""

    max_length: int = 4_000_000
    """Characters of the filter's text (CQL2 text or the JSON's text)."""
    max_terms: int = 5_000
    """Predicates (comparisons, spatial tests, ...) joined by AND/OR/NOT."""
    max_depth: int = 50
    """Nesting depth after AND/OR chains are balanced (parentheses, NOT, arithmetic)."""
    max_vertices: int = 100_000
    """Vertices of all geometry literals together."""

    @classmethod
    def from_settings(cls, settings: Settings) -> FilterLimits:
        return cls(settings.filter_max_length, settings.filter_max_terms,
                   settings.filter_max_depth, settings.filter_max_vertices)


DEFAULT_LIMITS = FilterLimits()

_LITERAL_OR_GEOMETRY = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|"
    r"(?<![A-Za-z0-9_])(?:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|"
    r"GEOMETRYCOLLECTION)\s*\(")
_PARENS = re.compile(r"[()]")
_CONNECTIVES = re.compile(r"(?<![A-Za-z0-9_])(?:AND|OR|NOT)(?![A-Za-z0-9_])", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def _refuse(what: str) -> InvalidParameter:
    return InvalidParameter(f"the filter is too large: {what}", parameter="filter")


def prepare_text(text: str, limits: FilterLimits = DEFAULT_LIMITS
                 ) -> tuple[str, list[dict[str, Any]]]:
    """CQL2 text with its geometry literals replaced by placeholders, and those geometries
    (GeoJSON, read by GEOS), after the cheap checks; ``finish`` puts them back."""
    if len(text) > limits.max_length:
        raise _refuse(f"{len(text)} characters, more than the {limits.max_length} allowed "
                      "(server setting filter_max_length)")
    pieces: list[str] = []
    geometries: list[dict[str, Any]] = []
    vertices = 0
    position = scan = 0
    while (match := _LITERAL_OR_GEOMETRY.search(text, scan)) is not None:
        scan = match.end()
        if match.group()[0] in "'\"":
            continue  # a quoted literal
        end = scan = _closing(text, match.end() - 1)  # never scans a geometry's inside twice
        try:
            geometry = shapely.from_wkt(text[match.start():end])
        except shapely.errors.GEOSException as exc:
            raise InvalidParameter(f"the filter's geometry at character {match.start() + 1} is "
                                   f"not valid WKT: {exc}", parameter="filter") from None
        vertices += int(shapely.get_num_coordinates(geometry))
        if vertices > limits.max_vertices:
            raise _refuse(f"its geometries have more than the {limits.max_vertices} vertices "
                          "allowed (server setting filter_max_vertices)")
        pieces += [text[position:match.start()], f"POINT({len(geometries)} 0)"]
        geometries.append(orjson.loads(shapely.to_geojson(geometry)))
        position = end
    pieces.append(text[position:])
    prepared = "".join(pieces)
    bare = _QUOTED.sub("''", prepared)
    connectives = len(_CONNECTIVES.findall(bare))
    if connectives >= limits.max_terms:
        raise _refuse(f"{connectives} AND/OR/NOT, more than the {limits.max_terms} terms allowed "
                      "(server setting filter_max_terms)")
    codes = np.frombuffer(bare.encode(), dtype=np.uint8)
    depth = np.cumsum((codes == 40).astype(np.int32) - (codes == 41)) if len(codes) else [0]
    if np.max(depth, initial=0) > limits.max_depth:
        raise _refuse(f"parentheses nest deeper than {limits.max_depth} "
                      "(server setting filter_max_depth)")
    return prepared, geometries


def _closing(text: str, opening: int) -> int:
    """The index just after the parenthesis closing the one at ``opening``."""
    depth = 0
    for match in _PARENS.finditer(text, opening):
        depth += 1 if match.group() == "(" else -1
        if depth == 0:
            return match.end()
    raise InvalidParameter(f"the filter's geometry at character {opening + 1} has no closing "
                           "parenthesis", parameter="filter")


def check_json(document: Any, limits: FilterLimits = DEFAULT_LIMITS) -> None:
    """Measure a CQL2 JSON document (already loaded) without recursion."""
    operators = vertices = 0
    stack: list[tuple[Any, int, bool]] = [(document, 1, False)]
    while stack:
        node, depth, coordinates = stack.pop()
        if depth > 2 * limits.max_depth + 8:  # an operator is two JSON levels (op, args)
            raise _refuse(f"it nests deeper than {limits.max_depth} "
                          "(server setting filter_max_depth)")
        if isinstance(node, Mapping):
            operators += "op" in node
            if operators > limits.max_terms:
                raise _refuse(f"more than the {limits.max_terms} terms allowed "
                              "(server setting filter_max_terms)")
            stack.extend((v, depth + 1, k in ("coordinates", "bbox")) for k, v in node.items())
        elif isinstance(node, list):
            if coordinates and node and not isinstance(node[0], list):
                vertices += 1
                if vertices > limits.max_vertices:
                    raise _refuse(f"its geometries have more than the {limits.max_vertices} "
                                  "vertices allowed (server setting filter_max_vertices)")
                continue
            stack.extend((v, depth + 1, coordinates) for v in node)


def finish(tree: Any, geometries: Sequence[dict[str, Any]] = (),
           limits: FilterLimits = DEFAULT_LIMITS) -> Any:
    """The parsed tree with placeholders replaced, AND/OR chains balanced, and checked."""
    holder = [tree]
    terms = 0
    stack: list[tuple[Any, int]] = [(holder, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.max_depth:
            raise _refuse(f"it nests deeper than {limits.max_depth} "
                          "(server setting filter_max_depth)")
        if isinstance(node, ast.Node):
            terms += isinstance(node, ast.Predicate)
            if terms > limits.max_terms:
                raise _refuse(f"more than the {limits.max_terms} terms allowed "
                              "(server setting filter_max_terms)")
        for owner, key, child in list(_children(node)):
            if isinstance(child, ast.Combination):
                child = _balanced(child)
                _assign(owner, key, child)
            elif isinstance(child, values.Geometry) and geometries:
                child.geometry = _restored(child.geometry, geometries)
            stack.append((child, depth + 1))
    return holder[0]


def _children(node: Any) -> Iterator[tuple[Any, Any, Any]]:
    if isinstance(node, list):
        yield from ((node, i, v) for i, v in enumerate(node))
    elif isinstance(node, ast.Node):
        yield from ((node, k, v) for k, v in vars(node).items())


def _assign(owner: Any, key: Any, value: Any) -> None:
    if isinstance(owner, list):
        owner[key] = value
    else:
        setattr(owner, key, value)


def _balanced(chain: ast.Combination) -> ast.Node:
    """``a OR b OR c OR d`` (left-deep) as ``(a OR b) OR (c OR d)``: the same truth in
    three-valued logic too (AND and OR are associative), at logarithmic depth."""
    kind = type(chain)
    operands: list[Any] = []
    stack: list[Any] = [chain]
    while stack:
        node = stack.pop()
        if type(node) is kind:
            stack += [node.rhs, node.lhs]
        else:
            operands.append(node)
    return combine(kind, operands)


def combine(kind: Any, operands: list[Any]) -> Any:
    """``operands`` joined pairwise by ``kind(a, b)`` (``ast.And``, ``ast.Or``, or a function
    joining SQL text), in order, into a tree of logarithmic depth."""
    while len(operands) > 1:
        paired = [kind(operands[i], operands[i + 1]) for i in range(0, len(operands) - 1, 2)]
        operands = paired + ([operands[-1]] if len(operands) % 2 else [])
    return operands[0]


def _restored(placeholder: dict[str, Any], geometries: Sequence[dict[str, Any]]
              ) -> dict[str, Any]:
    index = int(placeholder["coordinates"][0])
    extra = {k: v for k, v in placeholder.items() if k not in ("type", "coordinates")}
    return {**geometries[index], **extra}  # keeps an EWKT SRID's "crs"
