"""The summarize_within process: counts, lengths and areas inside polygons, statistics."""

from __future__ import annotations

import pytest
import shapely
from tests.processes._fixtures_po import layer, postgis_fixture, run, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.summarize_within import summarize_within

ZONES = layer([shapely.box(0, 0, 2, 2), shapely.box(2, 0, 4, 2), shapely.box(9, 9, 10, 10)],
              crs=3857, zone=["w", "e", "far"])


def test_summarize_within_points_count_and_statistics():
    """Points are counted (edge points in both zones) and their fields summarised."""
    points = layer([shapely.Point(1, 1), shapely.Point(2, 1), shapely.Point(3, 1)], crs=3857,
                   pop=[10, 20, 5])
    out = run(summarize_within, polygons=ZONES, summary_features=points,
              statistics_fields=["pop"], statistics=["sum", "max"])
    assert out.columns == {"zone": ["w", "e", "far"], "count": [2, 2, 0],
                           "sum_pop": [30, 25, None], "max_pop": [20, 20, None]}


def test_summarize_within_line_lengths_in_unit():
    """Lengths of the parts inside, in the chosen unit; touching lines are not counted."""
    lines = layer([shapely.LineString([(1, 1), (3, 1)]), shapely.LineString([(4, 1), (5, 1)])],
                  crs=3857)
    out = run(summarize_within, polygons=ZONES, summary_features=lines, length_unit="kilometers")
    assert out.columns["count"] == [1, 1, 0]
    assert out.columns["sum_length_kilometers"] == pytest.approx([0.001, 0.001, 0.0])
    assert "sum_area_square_meters" not in out.columns


def test_summarize_within_geodesic_lengths_and_areas_match_postgis(postgis):
    """On lon/lat, lengths and areas inside are geodesic: PostGIS geography agrees."""
    zone = shapely.box(10, 60, 10.1, 60.1)
    line = shapely.LineString([(9.95, 60.05), (10.05, 60.05)])
    patch = shapely.box(10.05, 60.05, 10.2, 60.2)
    out = run(summarize_within, polygons=layer([zone]), summary_features=layer([line, patch]),
              area_unit="hectares")
    (length,) = postgis("SELECT ST_Length(geography(ST_Intersection(ST_GeomFromText(%s, 4326), "
                        "ST_GeomFromText(%s, 4326))))", wkt(line), wkt(zone))
    (area,) = postgis("SELECT ST_Area(geography(ST_Intersection(ST_GeomFromText(%s, 4326), "
                      "ST_GeomFromText(%s, 4326))))", wkt(patch), wkt(zone))
    assert out.columns["count"] == [2]
    assert out.columns["sum_length_meters"][0] == pytest.approx(length, rel=1e-6)
    assert out.columns["sum_area_hectares"][0] == pytest.approx(area / 10_000, rel=1e-6)


def test_summarize_within_keep_all_false():
    """Polygons with nothing inside are left out on request."""
    out = run(summarize_within, polygons=ZONES, keep_all=False,
              summary_features=layer([shapely.Point(3, 1)], crs=3857))
    assert out.columns == {"zone": ["e"], "count": [1]}


def test_summarize_within_count_name_clash():
    """A polygon field named count is kept; the count goes to count_1."""
    polygons = layer([shapely.box(0, 0, 1, 1)], crs=3857, count=[99])
    out = run(summarize_within, polygons=polygons,
              summary_features=layer([shapely.Point(0.5, 0.5)], crs=3857))
    assert out.columns == {"count": [99], "count_1": [1]}


def test_summarize_within_null_geometries():
    """Null polygons count nothing; null summary features are not counted."""
    out = run(summarize_within, polygons=layer([None, shapely.box(0, 0, 1, 1)], crs=3857),
              summary_features=layer([None, shapely.Point(0.5, 0.5)], crs=3857))
    assert out.columns["count"] == [0, 1]


def test_summarize_within_reprojects_summary_features():
    """Summary features in another CRS are reprojected to the polygons'."""
    out = run(summarize_within, polygons=layer([shapely.box(0, 0, 1, 1)]),
              summary_features=layer([shapely.Point(55_000, 55_000)], crs=3857))
    assert out.columns["count"] == [1]


def test_summarize_within_refuses_point_polygons():
    """The summary polygons must be polygons."""
    with pytest.raises(InvalidParameter) as caught:
        run(summarize_within, polygons=layer([shapely.Point(0, 0)]),
            summary_features=layer([shapely.Point(0, 0)]))
    assert caught.value.parameter == "polygons"


def test_summarize_within_bad_unit_refused():
    """Units are a closed list."""
    with pytest.raises(InvalidParameter, match="length_unit"):
        run(summarize_within, polygons=ZONES, summary_features=ZONES, length_unit="parsecs")
