"""The union process: all areas of polygon layers, split where they overlap."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, run

from honua.errors import InvalidParameter
from honua.processes.union import union


def test_union_two_overlapping_squares_three_pieces():
    """Two overlapping squares give A-only, both, B-only with the right attributes."""
    out = run(union, layers=[layer([shapely.box(0, 0, 2, 1)], crs=3857, a=["x"]),
                             layer([shapely.box(1, 0, 3, 1)], crs=3857, b=[5])])
    assert [round(g.area, 9) for g in out.geometry] == [1.0, 1.0, 1.0]
    assert out.columns == {"a": ["x", "x", None], "b": [5, None, 5]}
    assert shapely.union_all(out.geometry).area == pytest.approx(3.0)


def test_union_three_layers_cover_everything_once():
    """Pieces of a three-layer union tile the union of all inputs without overlap."""
    boxes = [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(0, 1.5, 3, 2.5)]
    out = run(union, layers=[layer([g], crs=3857, n=[i]) for i, g in enumerate(boxes)])
    total = shapely.union_all(boxes).area
    assert sum(g.area for g in out.geometry) == pytest.approx(total)
    assert set(out.columns) == {"n", "n_1", "n_2"}
    inside_all = [i for i, g in enumerate(out.geometry) if g.intersects(shapely.Point(1.5, 1.75))]
    assert out.columns["n"][inside_all[0]] == 0 and out.columns["n_2"][inside_all[0]] == 2


def test_union_disjoint_layers_kept_whole():
    """Features that overlap nothing pass whole with nulls for the other layer."""
    out = run(union, layers=[layer([shapely.box(0, 0, 1, 1)], crs=3857, a=[1]),
                             layer([shapely.box(5, 5, 6, 6)], crs=3857, b=[2])])
    assert out.columns == {"a": [1, None], "b": [None, 2]}


def test_union_refuses_points():
    """Only polygon layers can be unioned."""
    with pytest.raises(InvalidParameter, match="polygon"):
        run(union, layers=[layer([shapely.Point(0, 0)]), layer([shapely.box(0, 0, 1, 1)])])


def test_union_null_geometries_and_empty_layer():
    """Null geometries are skipped; an empty layer leaves the other whole."""
    out = run(union, layers=[layer([None, shapely.box(0, 0, 1, 1)], crs=3857, a=[1, 2]),
                             layer([], crs=3857)])
    assert out.columns == {"a": [2]}
