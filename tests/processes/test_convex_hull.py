"""Tests for the convex_hull process: per feature, per group, all; exact vertices."""

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, run

from honua.errors import InvalidParameter
from honua.processes.convex_hull import convex_hull

POINTS = [shapely.Point(0, 0), shapely.Point(0.01, 0), shapely.Point(0.005, 0.01),
          shapely.Point(0.004, 0.002), shapely.Point(1, 1), shapely.Point(1.01, 1), None]


def test_convex_hull_per_feature_keeps_exact_vertices():
    """A multipoint's hull is the triangle of its outer points, with their exact coordinates."""
    multi = shapely.MultiPoint([(10.123456789, 50.1), (10.2, 50.1), (10.15, 50.2), (10.15, 50.12)])
    out = run(convex_hull, features=geojson([multi], kind=["a"]))
    hull = out.geometry[0]
    assert set(hull.exterior.coords) == {(10.123456789, 50.1), (10.2, 50.1), (10.15, 50.2)}
    assert out.columns["kind"] == ["a"]


def test_convex_hull_all_counts_features_with_geometry():
    """'all' gives one hull over every feature and counts those with a geometry."""
    out = run(convex_hull, features=geojson(POINTS), group="all")
    assert len(out) == 1 and out.columns == {"count": [6]}
    assert out.geometry[0].geom_type == "Polygon" and len(out.geometry[0].exterior.coords) == 6


def test_convex_hull_by_fields():
    """Groups by a field give one hull each, with the field value and a count."""
    layer = geojson(POINTS, kind=["a", "a", "a", "a", "b", "b", "b"])
    out = run(convex_hull, features=layer, group="fields", group_fields=["kind"])
    assert out.columns == {"kind": ["a", "b"], "count": [4, 2]}
    assert out.geometry[0].geom_type == "Polygon" and out.geometry[1].geom_type == "LineString"


def test_convex_hull_group_field_errors():
    """Unknown fields are named; 'fields' without fields is refused."""
    layer = geojson(POINTS, kind=["a"] * 7)
    with pytest.raises(InvalidParameter, match="unknown field 'Kind'"):
        run(convex_hull, features=layer, group="fields", group_fields=["Kind"])
    with pytest.raises(InvalidParameter, match="name at least one field"):
        run(convex_hull, features=layer, group="fields")


def test_convex_hull_empty_and_null():
    """Per feature, null stays null; grouping an empty layer gives no features."""
    out = run(convex_hull, features=geojson([None, shapely.Polygon()]))
    assert out.geometry[0] is None and out.geometry[1].is_empty
    assert len(run(convex_hull, features=geojson([]), group="all")) == 0
