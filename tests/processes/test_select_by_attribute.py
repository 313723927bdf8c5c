"""Tests for select_by_attribute: CQL2 text and JSON, invert, errors naming fields."""

import orjson
import pytest
import shapely
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.errors import InvalidParameter
from honua.processes.select_by_attribute import select_by_attribute as select


def test_select_by_attribute_text_filter_keeps_attributes_and_order():
    """A text filter returns the matching features, attributes intact, in input order."""
    out = run(select, features=mixed_layer(), filter="count >= 2 AND flag = false")
    assert out.columns["name"] == ["l", "e"] and out.columns["meta"] == [None, None]
    assert out.geometry[0].geom_type == "LineString"


def test_select_by_attribute_json_filter_auto_detected():
    """A CQL2 JSON document given as text is recognised without filter_lang."""
    document = {"op": "in", "args": [{"property": "name"}, ["p", "a"]]}
    out = run(select, features=mixed_layer(), filter=orjson.dumps(document).decode())
    assert out.columns["name"] == ["p", "a"]


def test_select_by_attribute_json_filter_as_an_object():
    """A CQL2 JSON filter sent as a JSON object (as OGC API clients do) works too."""
    document = {"op": "in", "args": [{"property": "name"}, ["p", "a"]]}
    out = run(select, features=mixed_layer(), filter=document)
    assert out.columns["name"] == ["p", "a"]


def test_select_by_attribute_invert_includes_unknowns():
    """Inverting returns everything not selected, nulls included."""
    out = run(select, features=mixed_layer(), filter="ratio > 1", invert=True)
    assert out.columns["name"] == ["p", "a"]


def test_select_by_attribute_spatial_and_dates():
    """Spatial and date predicates work on the feature geometry and ISO text fields."""
    near = run(select, features=mixed_layer(), filter="S_INTERSECTS(geometry, POINT(10 50))")
    assert near.columns["name"] == ["p", "l", "a"]
    later = run(select, features=mixed_layer(), filter="when > TIMESTAMP('2024-03-15T00:00:00Z')")
    assert later.columns["name"] == ["n", "e"]


def test_select_by_attribute_dwithin_on_the_ground():
    """DWITHIN in metres selects a point 900 m away and not one 1.1 km away (at 60 N)."""
    layer = geojson([shapely.Point(10, 60.0081), shapely.Point(10, 60.0099)], name=["near", "far"])
    document = {"op": "s_dwithin", "args": [{"property": "geometry"},
                                            {"type": "Point", "coordinates": [10, 60]}, 1000, "m"]}
    out = run(select, features=layer, filter=orjson.dumps(document).decode())
    assert out.columns["name"] == ["near"]


def test_select_by_attribute_unknown_field_and_bad_syntax():
    """Unknown fields are named; syntax errors are reported on the filter input."""
    with pytest.raises(InvalidParameter, match="unknown property 'Count'") as info:
        run(select, features=mixed_layer(), filter="Count > 1")
    assert info.value.parameter == "filter"
    with pytest.raises(InvalidParameter, match="not a valid cql2-json") as info:
        run(select, features=mixed_layer(), filter="{oops", filter_lang="cql2-json")
    assert info.value.parameter == "filter"


def test_select_by_attribute_empty_layer():
    """An empty layer gives an empty selection."""
    assert len(run(select, features=geojson([]), filter="name = 'x'")) == 0
