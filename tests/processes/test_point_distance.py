"""The point_distance process: a distance table between two point layers."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, postgis_fixture, run, wkt  # noqa: F401

from honua.core.decorator import definition_of
from honua.errors import InvalidParameter
from honua.processes.point_distance import point_distance

SOURCES = layer([shapely.Point(0, 0), shapely.Point(100, 0)], crs=3857)
TARGETS = layer([shapely.Point(0, 30), shapely.Point(0, 10), shapely.Point(500, 0)], crs=3857)


def test_point_distance_full_table_sorted():
    """Without limits every pair comes, by input then distance; no geometry."""
    out = run(point_distance, input_features=SOURCES, near_features=TARGETS)
    assert out.columns["input_id"] == [0, 0, 0, 1, 1, 1]
    assert out.columns["near_id"] == [1, 0, 2, 1, 0, 2]
    assert out.columns["distance"][:3] == pytest.approx([10, 30, 500])
    assert all(g is None for g in out.geometry)


def test_point_distance_radius_and_max_count():
    """The radius bounds distances; max_count keeps the nearest ones."""
    out = run(point_distance, input_features=SOURCES, near_features=TARGETS,
              search_radius="0.2 km", max_count=1)
    assert out.columns == {"input_id": [0, 1], "near_id": [1, 1],
                           "distance": [pytest.approx(0.01), pytest.approx(0.1005, rel=1e-3)]}


def test_point_distance_geodesic_matches_postgis(postgis):
    """On WGS 84 distances are geodesic, as PostGIS geography measures them."""
    a, b = shapely.Point(-75, 40), shapely.Point(-74, 41)
    out = run(point_distance, input_features=layer([a]), near_features=layer([b]),
              distance_unit="kilometers")
    (expected,) = postgis("SELECT ST_Distance(ST_GeogFromText(%s), ST_GeogFromText(%s))",
                          wkt(a), wkt(b))
    assert out.columns["distance"][0] == pytest.approx(expected / 1000, abs=1e-6)


def test_point_distance_geodesic_with_radius_same_as_without():
    """The radius search on lon/lat finds the same pairs and distances."""
    points = [shapely.Point(10 + 0.01 * k, 60 + 0.003 * k) for k in range(5)]
    full = run(point_distance, input_features=layer(points), near_features=layer(points))
    near = run(point_distance, input_features=layer(points), near_features=layer(points),
               search_radius="100 km", distance_unit="meters")
    assert near.columns == full.columns


def test_point_distance_null_points_skipped():
    """Points without geometry have no rows."""
    out = run(point_distance, input_features=layer([None, shapely.Point(0, 0)], crs=3857),
              near_features=layer([shapely.Point(1, 0), shapely.Point(), None], crs=3857))
    assert out.columns == {"input_id": [1], "near_id": [0], "distance": [1.0]}


def test_point_distance_refuses_lines_and_multipoints():
    """Only single points are measured."""
    with pytest.raises(InvalidParameter, match="MultiPoint"):
        run(point_distance, input_features=layer([shapely.MultiPoint([(0, 0), (1, 1)])]),
            near_features=TARGETS)
    with pytest.raises(InvalidParameter) as caught:
        run(point_distance, input_features=SOURCES,
            near_features=layer([shapely.LineString([(0, 0), (1, 1)])], crs=3857))
    assert caught.value.parameter == "near_features"


def test_point_distance_bad_max_count_refused():
    """max_count must be positive."""
    with pytest.raises(InvalidParameter, match="max_count"):
        run(point_distance, input_features=SOURCES, near_features=TARGETS, max_count=0)


def test_point_distance_output_is_a_table():
    """The output is declared without geometry (a record set for GP clients)."""
    assert definition_of(point_distance).description.outputs[0].geometry_types == ("none",)
