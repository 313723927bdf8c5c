"""Tests for merge: field union and type reconciliation, CRS of the first, source field."""

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.errors import MissingParameter
from honua.geo.crs import parse_crs
from honua.processes.merge import merge


def test_merge_unions_fields_in_order_and_fills_nulls():
    """Fields of both layers, first layer's first; missing values are null."""
    a = geojson([shapely.Point(0, 0)], name=["a"], n=[1])
    b = geojson([shapely.Point(1, 1), None], n=[2.5, None], flag=[True, False])
    out = run(merge, layers=[a, b], source_field="layer")
    assert list(out.columns) == ["name", "n", "flag", "layer"]
    assert out.columns["name"] == ["a", None, None] and out.columns["n"] == [1.0, 2.5, None]
    assert out.columns["flag"] == [None, True, False] and out.columns["layer"] == [0, 1, 1]
    assert {f.name: f.type for f in out.fields}["n"] == "double" and out.geometry[2] is None


def test_merge_conflicting_types_become_text():
    """A field that is a number in one layer and text in another becomes text."""
    a = geojson([shapely.Point(0, 0)], code=[7])
    b = geojson([shapely.Point(1, 1)], code=["x7"])
    out = run(merge, layers=[a, b])
    assert out.columns["code"] == ["7", "x7"]


def test_merge_reprojects_to_the_first_layer_crs():
    """The result is in the first layer's CRS; the second is reprojected."""
    utm = geojson([shapely.Point(500_000, 0)], crs=32631)
    wgs = geojson([shapely.Point(3, 0)])
    out = run(merge, layers=[utm, wgs])
    assert out.crs == parse_crs(32631)
    assert out.geometry[1].coords[0] == pytest.approx((500_000, 0), abs=1e-6)


def test_merge_all_attribute_types_and_source_field_clash():
    """Every attribute type survives; a source field name already in use gets a suffix."""
    out = run(merge, layers=[mixed_layer(), mixed_layer()], source_field="name")
    assert len(out) == 10 and out.columns["meta"][5] == {"k": 1}
    assert out.columns["name_1"] == [0] * 5 + [1] * 5


def test_merge_needs_layers():
    """No layers is a missing input."""
    with pytest.raises(MissingParameter):
        run(merge, layers=[])
