"""Tests for explode: parts, indices, nulls, nested collections."""

import shapely
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.processes.explode import explode


def test_explode_multipolygon_parts_with_attributes():
    """A two-part multipolygon gives two polygons carrying its attributes and part numbers."""
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])
    out = run(explode, features=geojson([shapely.Point(5, 5), multi], name=["p", "m"]))
    assert [g.geom_type for g in out.geometry] == ["Point", "Polygon", "Polygon"]
    assert out.columns["name"] == ["p", "m", "m"]
    assert out.columns["source_index"] == [0, 1, 1] and out.columns["part_index"] == [0, 0, 1]


def test_explode_nested_collection_flattened():
    """A collection holding a multipoint gives each point; empty members are dropped."""
    nested = shapely.from_wkt(
        "GEOMETRYCOLLECTION (MULTIPOINT ((0 0), (1 1)), LINESTRING EMPTY, LINESTRING (0 0, 1 0))")
    out = run(explode, features=geojson([nested]))
    assert [g.wkt for g in out.geometry] == ["POINT (0 0)", "POINT (1 1)", "LINESTRING (0 0, 1 0)"]


def test_explode_keeps_null_and_empty_features():
    """Null and empty geometries stay, one feature each, with every attribute type intact."""
    out = run(explode, features=mixed_layer())
    assert len(out) == 5 and out.geometry[3] is None and out.geometry[4].is_empty
    assert out.columns["meta"][3] == {"k": 2} and out.columns["part_index"] == [0] * 5


def test_explode_name_clash_and_empty_layer():
    """An input 'part_index' field is kept and the new one suffixed; empty in, empty out."""
    out = run(explode, features=geojson([shapely.MultiPoint([(0, 0), (1, 1)])], part_index=["x"]))
    assert out.columns["part_index"] == ["x", "x"] and out.columns["part_index_1"] == [0, 1]
    assert len(run(explode, features=geojson([]))) == 0
