"""The spatial_join process: predicates, one-to-one with statistics, one-to-many, distances."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, postgis_fixture, run, typed_columns, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.spatial_join import spatial_join

ZONES = layer([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 4, 2), shapely.box(9, 9, 10, 10)],
              crs=3857, zone=["w", "e", "far"])
POINTS = layer([shapely.Point(1, 1), shapely.Point(1.5, 1), shapely.Point(3, 1), shapely.Point(2, 1)],
               crs=3857, pop=[10, 20, 5, None], name=["a", "b", "c", "d"])


def test_spatial_join_one_to_one_counts_and_statistics():
    """Each zone gets its match count, first match's fields and the statistics."""
    out = run(spatial_join, target_features=ZONES, join_features=POINTS,
              statistics_fields=["pop"], statistics=["count", "sum", "mean", "min", "max", "first"])
    assert out.columns["join_count"] == [3, 2, 0]
    assert out.columns["name"] == ["a", "c", None]
    assert out.columns["sum_pop"] == [30, 5, None]
    assert out.columns["count_pop"] == [2, 1, 0]
    assert out.columns["mean_pop"] == [15.0, 5.0, None]
    assert out.columns["min_pop"] == [10, 5, None] and out.columns["max_pop"] == [20, 5, None]
    assert out.columns["first_pop"] == [10, 5, None]
    assert out.geometry[0].equals(shapely.box(0, 0, 2, 2))


def test_spatial_join_keep_all_false_drops_unmatched():
    """Unmatched targets are left out on request."""
    out = run(spatial_join, target_features=ZONES, join_features=POINTS, keep_all=False)
    assert out.columns["zone"] == ["w", "e"]


def test_spatial_join_one_to_many_pairs_with_ids():
    """One row per pair, unmatched targets once with nulls, target_fid and join_fid given."""
    out = run(spatial_join, target_features=ZONES, join_features=POINTS, join_type="one_to_many")
    assert out.columns["zone"] == ["w", "w", "w", "e", "e", "far"]
    assert out.columns["join_fid"] == [0, 1, 3, 2, 3, None]
    assert out.columns["target_fid"] == [0, 0, 0, 1, 1, 2]


@pytest.mark.parametrize(("predicate", "expected"), [
    ("within", [1, 1, 1, 0]),
    ("intersects", [1, 1, 1, 2]),
    ("touches", [0, 0, 0, 2]),
])
def test_spatial_join_topological_predicates(predicate, expected):
    """A point on the shared edge touches both zones and lies within neither."""
    out = run(spatial_join, target_features=POINTS, join_features=ZONES, predicate=predicate)
    assert out.columns["join_count"] == expected


def test_spatial_join_contains_crosses_overlaps():
    """contains, crosses and overlaps read target <predicate> join."""
    lines = layer([shapely.LineString([(1, 1), (3, 1)]), shapely.LineString([(0.5, 0.5), (1, 1)])],
                  crs=3857)
    crosses = run(spatial_join, target_features=lines, join_features=ZONES, predicate="crosses")
    assert crosses.columns["join_count"] == [2, 0]
    contains = run(spatial_join, target_features=ZONES, join_features=lines, predicate="contains")
    assert contains.columns["join_count"] == [1, 0, 0]
    overlaps = run(spatial_join, target_features=layer([shapely.box(1, 1, 3, 3)], crs=3857),
                   join_features=ZONES, predicate="overlaps")
    assert overlaps.columns["join_count"] == [2]


def test_spatial_join_within_distance_geodesic_matches_postgis(postgis):
    """within_distance on lon/lat agrees with PostGIS ST_DWithin on geography."""
    city = shapely.Point(10, 60)
    others = [shapely.Point(10, 60.0089), shapely.Point(10, 60.0091), shapely.Point(10.0178, 60),
              shapely.Point(10.018, 60)]
    out = run(spatial_join, target_features=layer([city]), join_features=layer(others, n=[0, 1, 2, 3]),
              predicate="within_distance", search_distance={"value": 1, "unit": "km"},
              join_type="one_to_many")
    expected = [i for i, p in enumerate(others)
                if postgis("SELECT ST_DWithin(ST_GeogFromText(%s), ST_GeogFromText(%s), 1000)",
                           wkt(city), wkt(p))[0]]
    assert sorted(out.columns["n"]) == expected == [0, 2]
    (d,) = postgis("SELECT ST_Distance(ST_GeogFromText(%s), ST_GeogFromText(%s))", wkt(city),
                   wkt(others[2]))
    at = out.columns["n"].index(2)
    assert out.columns["join_distance"][at] == pytest.approx(d / 1000, abs=1e-6)


def test_spatial_join_nearest_with_distance_in_unit():
    """nearest joins the closest feature, with the distance in the search distance's unit."""
    targets = layer([shapely.Point(0, 0), shapely.Point(100, 0)], crs=3857)
    joins = layer([shapely.Point(0, 30), shapely.Point(0, 10), shapely.Point(500, 0)], crs=3857,
                  k=["x", "y", "z"])
    out = run(spatial_join, target_features=targets, join_features=joins, predicate="nearest",
              search_distance="0.05 km")
    assert out.columns["k"] == ["y", None]
    assert out.columns["join_distance"] == [pytest.approx(0.01), None]


def test_spatial_join_nearest_on_wgs84_is_nearest_on_the_ground():
    """At 60 N a point 0.015 deg of longitude away is nearer than one 0.01 deg of latitude away."""
    out = run(spatial_join, target_features=layer([shapely.Point(10, 60)]),
              join_features=layer([shapely.Point(10, 60.01), shapely.Point(10.015, 60)],
                                  k=["north", "east"]),
              predicate="nearest")
    assert out.columns["k"] == ["east"]


def test_spatial_join_field_clash_and_typed_columns():
    """Join fields clashing with target fields get _1; every type is carried."""
    targets = layer([shapely.box(0, 0, 10, 10)], crs=3857, name=["zone"])
    joins = layer([shapely.Point(1, 1)] * 6, crs=3857, **typed_columns(6))
    out = run(spatial_join, target_features=targets, join_features=joins)
    assert out.columns["name"] == ["zone"] and out.columns["name_1"] == ["a"]
    assert out.columns["meta"] == [{"k": 1}] and out.columns["flag"] == [True]


def test_spatial_join_selected_join_fields_only():
    """join_fields limits the carried fields."""
    out = run(spatial_join, target_features=ZONES, join_features=POINTS, join_fields=["name"])
    assert "pop" not in out.columns and "name" in out.columns


def test_spatial_join_reprojects_join_layer():
    """Join features in another CRS are reprojected to the targets'."""
    out = run(spatial_join, target_features=layer([shapely.box(0, 0, 1, 1)]),
              join_features=layer([shapely.Point(55_000, 55_000)], crs=3857))
    assert out.columns["join_count"] == [1]


def test_spatial_join_null_geometry_target_matches_nothing():
    """A target without geometry is kept with count 0."""
    out = run(spatial_join, target_features=layer([None, shapely.box(0, 0, 2, 2)], crs=3857),
              join_features=POINTS)
    assert out.columns["join_count"] == [0, 3]


def test_spatial_join_empty_join_layer():
    """No join features: every target with count 0."""
    out = run(spatial_join, target_features=ZONES, join_features=layer([], crs=3857))
    assert out.columns["join_count"] == [0, 0, 0]


def test_spatial_join_within_distance_needs_distance():
    """within_distance without a search distance is refused."""
    with pytest.raises(InvalidParameter) as caught:
        run(spatial_join, target_features=ZONES, join_features=POINTS, predicate="within_distance")
    assert caught.value.parameter == "search_distance"


def test_spatial_join_distance_with_topological_predicate_refused():
    """A search distance with intersects is a mistake, not silently ignored."""
    with pytest.raises(InvalidParameter, match="applies to"):
        run(spatial_join, target_features=ZONES, join_features=POINTS, search_distance=5)


def test_spatial_join_sum_of_text_refused():
    """sum needs a numeric field."""
    with pytest.raises(InvalidParameter, match="'name' is string"):
        run(spatial_join, target_features=ZONES, join_features=POINTS,
            statistics_fields=["name"], statistics=["sum"])


def test_spatial_join_statistics_without_fields_refused():
    """Statistics without fields (or fields without statistics) are refused."""
    with pytest.raises(InvalidParameter, match="name the fields"):
        run(spatial_join, target_features=ZONES, join_features=POINTS, statistics=["sum"])
    with pytest.raises(InvalidParameter, match="choose one or more"):
        run(spatial_join, target_features=ZONES, join_features=POINTS, statistics_fields=["pop"])


def test_spatial_join_unknown_predicate_refused():
    """Predicates are a closed list."""
    with pytest.raises(InvalidParameter, match="predicate"):
        run(spatial_join, target_features=ZONES, join_features=POINTS, predicate="near")
