"""Bounds on CQL2 filters: cheap refusals before parsing, balanced AND/OR chains after."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from pygeofilter import ast

from honua.core.catalog import parse_filter
from honua.errors import InvalidParameter
from honua.geo import filters
from honua.geo.features import FeatureCollection
from honua.geo.filter_limits import FilterLimits


def _depth(node) -> int:
    if isinstance(node, ast.Combination):
        return 1 + max(_depth(node.lhs), _depth(node.rhs))
    return 1


def _ors(n: int) -> str:
    return " OR ".join(f"population = {i}" for i in range(n))


def _circle(n: int) -> str:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = [f"{np.cos(a):.6f} {np.sin(a):.6f}" for a in angles] + [f"{1:.6f} {0:.6f}"]
    return f"POLYGON(({', '.join(ring)}))"


def test_filter_limits_long_or_chain_is_balanced():
    """2,000 ORed terms nest 11 deep, not 2,000 (no recursion limit anywhere downstream)."""
    tree = parse_filter(_ors(2000))
    assert isinstance(tree, ast.Or)
    assert _depth(tree) == 12


def test_filter_limits_balanced_chain_selects_the_same_features():
    collection = FeatureCollection.from_geometries(
        list(shapely.points(np.zeros(50), np.zeros(50))), population=list(range(50)))
    tree = filters.parse_filter(" OR ".join(f"population = {i}" for i in range(0, 50, 7)))
    assert np.flatnonzero(filters.filter_mask(collection, tree)).tolist() == list(range(0, 50, 7))


@pytest.mark.parametrize(("text", "limits", "message"), [
    (_ors(6000), FilterLimits(), "5999 AND/OR/NOT, more than the 5000 terms"),
    (_ors(11), FilterLimits(max_terms=10), "more than the 10 terms"),
    ("(" * 3000 + "population = 1" + ")" * 3000, FilterLimits(), "parentheses nest deeper"),
    ("population = " + "+".join(["1"] * 3000), FilterLimits(), "nests deeper than 50"),
    ("name = 'x'" + " " * 2000, FilterLimits(max_length=1000), "more than the 1000 allowed"),
    (f"S_INTERSECTS(geometry, {_circle(2000)})", FilterLimits(max_vertices=1000),
     "more than the 1000 vertices"),
])
def test_filter_limits_refuse_a_too_large_text_filter(text, limits, message):
    started = time.monotonic()
    with pytest.raises(InvalidParameter, match="the filter is too large") as caught:
        parse_filter(text, None, limits)
    assert message in caught.value.message and "filter_max_" in caught.value.message
    assert caught.value.parameter == "filter"
    assert time.monotonic() - started < 5.0  # generous for a shared machine


@pytest.mark.parametrize(("document", "message"), [
    ({"op": "or", "args": [{"op": "=", "args": [{"property": "p"}, i]} for i in range(6000)]},
     "more than the 5000 terms"),
    ('{"op":"=","args":[{"property":"p"},' + "[" * 200 + "]" * 200 + "]}", "nests deeper"),
    ({"op": "s_intersects", "args": [{"property": "geometry"}, {
        "type": "LineString", "coordinates": [[i, 0] for i in range(100_001)]}]},
     "more than the 100000 vertices"),
])
def test_filter_limits_refuse_a_too_large_json_filter(document, message):
    with pytest.raises(InvalidParameter, match=message):
        parse_filter(document, "cql2-json")
    with pytest.raises(InvalidParameter, match=message):  # the processes' own parser too
        filters.parse_filter(document, "cql2-json")


def test_filter_limits_big_polygon_literal_is_read_by_geos_quickly():
    """A 40,000-vertex polygon: milliseconds (GEOS), not the grammar's seconds."""
    started = time.monotonic()
    tree = parse_filter(f"S_INTERSECTS(geometry, {_circle(40_000)}) AND name = 'POINT(1 2)'")
    assert time.monotonic() - started < 5.0  # generous for a shared machine
    polygon = tree.lhs.rhs.geometry
    assert polygon["type"] == "Polygon" and len(polygon["coordinates"][0]) == 40_001
    assert tree.rhs.rhs == "POINT(1 2)"  # quoted text stays text


def test_filter_limits_ewkt_srid_and_collections_survive():
    tree = parse_filter("S_INTERSECTS(geom, SRID=3857;POINT(1 2)) OR "
                        "S_WITHIN(geom, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1)))")
    assert tree.lhs.rhs.geometry["coordinates"] == [1.0, 2.0]
    assert tree.lhs.rhs.geometry["crs"]["properties"]["name"].endswith("3857")
    assert [g["type"] for g in tree.rhs.rhs.geometry["geometries"]] == ["Point", "LineString"]


def test_filter_limits_invalid_wkt_names_the_position():
    with pytest.raises(InvalidParameter, match="geometry at character 20 is not valid WKT"):
        parse_filter("S_INTERSECTS(geom, POLYGON((0 0, 1 1)))")
