"""Tests for polygon_to_line: outlines, holes, neighbours on each side."""

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, run

from honua.errors import InvalidParameter
from honua.processes.polygon_to_line import polygon_to_line


def test_polygon_to_line_outlines_with_holes_and_attributes():
    """A polygon with a hole gives a two-line multiline; attributes and nulls are kept."""
    holed = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))
    out = run(polygon_to_line, features=geojson([holed, None], name=["a", "b"]))
    assert out.geometry[0].geom_type == "MultiLineString" and len(out.geometry[0].geoms) == 2
    assert out.geometry[0].length == pytest.approx(48)
    assert out.geometry[1] is None and out.columns["name"] == ["a", "b"]


def test_polygon_to_line_neighbors_left_and_right():
    """Two squares sharing an edge: the shared edge once, with a polygon on each side."""
    layer = geojson([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    out = run(polygon_to_line, features=layer, identify_neighbors=True)
    assert len(out) == 3 and out.geometry.tolist().count(None) == 0
    assert sum(g.length for g in out.geometry) == pytest.approx(7)
    pairs = list(zip(out.columns["left_index"], out.columns["right_index"], strict=True))
    shared = [p for p in pairs if None not in p]
    assert len(shared) == 1 and set(shared[0]) == {0, 1}
    assert sorted(p[0] if p[0] is not None else p[1] for p in pairs if None in p) == [0, 1]


def test_polygon_to_line_refuses_lines():
    """Lines are the wrong type, named in the error."""
    with pytest.raises(InvalidParameter, match="feature 0 is a LineString"):
        run(polygon_to_line, features=geojson([shapely.LineString([(0, 0), (1, 1)])]))


def test_polygon_to_line_empty_layer_with_neighbors():
    """No polygons, no lines."""
    assert len(run(polygon_to_line, features=geojson([None]), identify_neighbors=True)) == 0
