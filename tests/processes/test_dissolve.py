"""The dissolve process: merge by fields, statistics, multipart or single part."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, progress_log, run, run_all

from honua.errors import InvalidParameter
from honua.processes.dissolve import dissolve

TILES = layer([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 0, 6, 1),
               shapely.box(7, 0, 8, 1)], crs=3857, kind=["a", "a", "b", "a"], pop=[1, 2, 4, None],
              name=["x", "y", "z", "w"])


def test_dissolve_by_field_unions_shared_edges():
    """Adjacent tiles of one kind become one polygon without the shared edge."""
    out = run(dissolve, features=TILES, dissolve_fields=["kind"])
    assert out.columns == {"kind": ["a", "b"]}
    assert out.geometry[0].geom_type == "MultiPolygon" and out.geometry[0].area == pytest.approx(3)
    assert len(out.geometry[0].geoms) == 2


def test_dissolve_all_without_fields():
    """No dissolve field: one feature for everything."""
    out = run(dissolve, features=TILES)
    assert len(out) == 1 and out.geometry[0].area == pytest.approx(4) and out.columns == {}


def test_dissolve_statistics_per_group():
    """Statistics over each group's features, nulls skipped."""
    out = run(dissolve, features=TILES, dissolve_fields=["kind"], statistics_fields=["pop", "name"],
              statistics=["count", "min", "first"])
    assert out.columns["count_pop"] == [2, 1] and out.columns["min_pop"] == [1, 4]
    assert out.columns["min_name"] == ["w", "z"] and out.columns["first_name"] == ["x", "z"]
    summed = run(dissolve, features=TILES, dissolve_fields=["kind"], statistics_fields=["pop"],
                 statistics=["sum", "mean", "max"])
    assert summed.columns == {"kind": ["a", "b"], "sum_pop": [3, 4], "mean_pop": [1.5, 4.0],
                              "max_pop": [2, 4]}


def test_dissolve_single_part_repeats_attributes():
    """multipart=false gives one feature per part."""
    out = run(dissolve, features=TILES, dissolve_fields=["kind"], multipart=False)
    assert out.columns["kind"] == ["a", "a", "b"]
    assert all(g.geom_type == "Polygon" for g in out.geometry)


def test_dissolve_lines_merged_end_to_end():
    """Lines meeting end to end become one line."""
    lines = layer([shapely.LineString([(0, 0), (1, 0)]), shapely.LineString([(1, 0), (2, 0)])],
                  crs=3857)
    out = run(dissolve, features=lines)
    assert out.geometry[0].geom_type == "LineString" and out.geometry[0].length == pytest.approx(2)


def test_dissolve_points_to_multipoint():
    """Points of a group are gathered into one multipoint."""
    out = run(dissolve, features=layer([shapely.Point(0, 0), shapely.Point(1, 1)], crs=3857))
    assert out.geometry[0].geom_type == "MultiPoint"


def test_dissolve_null_geometry_counts_in_statistics():
    """A feature without geometry counts in its group; a group of nulls has a null geometry."""
    out = run(dissolve, features=layer([None, shapely.box(0, 0, 1, 1), None], crs=3857,
                                       g=[1, 1, 2], v=[5, 6, 7]),
              dissolve_fields=["g"], statistics_fields=["v"], statistics=["sum"])
    assert out.columns["sum_v"] == [11, 7]
    assert out.geometry[1] is None


def test_dissolve_json_and_null_values_group():
    """JSON values group by content and null is a group of its own."""
    out = run(dissolve, features=layer([shapely.Point(0, 0)] * 4, crs=3857,
                                       m=[{"a": 1}, None, {"a": 1}, None]),
              dissolve_fields=["m"])
    assert out.columns["m"] == [{"a": 1}, None]


def test_dissolve_mixed_geometry_types_refused():
    """Points and polygons cannot be dissolved together."""
    with pytest.raises(InvalidParameter, match="one geometry type"):
        run(dissolve, features=layer([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)], crs=3857))


def test_dissolve_unknown_field_refused():
    """Unknown dissolve fields are named."""
    with pytest.raises(InvalidParameter, match="'colour'"):
        run(dissolve, features=TILES, dissolve_fields=["colour"])


def test_dissolve_empty_input():
    """Nothing in, nothing out."""
    assert len(run(dissolve, features=layer([], crs=3857))) == 0


def test_dissolve_geographic_keeps_crs_and_reports_progress():
    """Lon/lat data dissolves in its CRS; progress reaches 100."""
    context, seen = progress_log()
    out = run_all(dissolve, context, features=layer([shapely.box(0, 0, 1, 1),
                                                     shapely.box(1, 0, 2, 1)]))["result"]
    assert out.crs.is_geographic and out.geometry[0].area == pytest.approx(2)
    assert seen[-1] == 100
