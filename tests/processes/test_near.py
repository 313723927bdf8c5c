"""The near process: nearest feature id and ground distance."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod, Transformer
from tests.processes._fixtures_po import layer, postgis_fixture, run, typed_columns, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.near import near


def test_near_geodesic_distance_matches_postgis(postgis):
    """Point-to-line ground distance on WGS 84 agrees with PostGIS geography to the millimetre."""
    point = shapely.Point(10, 60)
    line = shapely.LineString([(10.05, 59), (10.05, 61)])
    out = run(near, features=layer([point]), near_features=layer([shapely.Point(12, 60), line]))
    (expected,) = postgis("SELECT ST_Distance(ST_GeogFromText(%s), ST_GeogFromText(%s))",
                          wkt(point), wkt(line))
    assert out.columns["near_fid"] == [1]
    assert out.columns["near_dist"][0] == pytest.approx(expected, abs=1e-3)


def test_near_projected_with_location_and_unit():
    """On a projected CRS: id, distance in the chosen unit and the closest point."""
    out = run(near, features=layer([shapely.Point(0, 0)], crs=3857),
              near_features=layer([shapely.LineString([(-5, 30), (5, 30)]), shapely.Point(50, 0)],
                                  crs=3857),
              distance_unit="kilometers", location=True)
    assert out.columns["near_fid"] == [0]
    assert out.columns["near_dist"] == [pytest.approx(0.03)]
    assert (out.columns["near_x"], out.columns["near_y"]) == ([0.0], [30.0])


def test_near_search_radius_limits_and_sets_unit():
    """Beyond the search radius there is no near feature; distances take its unit."""
    out = run(near, features=layer([shapely.Point(0, 0), shapely.Point(1000, 0)], crs=3857),
              near_features=layer([shapely.Point(0, 100)], crs=3857), search_radius="0.5 km")
    assert out.columns["near_fid"] == [0, None]
    assert out.columns["near_dist"] == [pytest.approx(0.1), None]


def test_near_uses_feature_ids_and_keeps_attributes():
    """GeoJSON ids of the near layer are reported; input attributes of every type kept."""
    near_layer = layer([shapely.Point(0, 1), shapely.Point(0, 2)], crs=3857)
    near_layer["features"] = [dict(f, id=f"n{i}") for i, f in enumerate(near_layer["features"])]
    out = run(near, features=layer([shapely.Point(0, 0)] * 6, crs=3857, **typed_columns(6)),
              near_features=near_layer)
    assert out.columns["near_fid"] == ["n0"] * 6
    assert out.columns["meta"][0] == {"k": 1}


def test_near_null_geometry_and_empty_near_layer():
    """Nulls for features without geometry or without candidates; clashing names suffixed."""
    out = run(near, features=layer([None, shapely.Point(0, 0)], crs=3857, near_dist=[1, 2]),
              near_features=layer([shapely.Point(3, 4)], crs=3857))
    assert out.columns["near_dist_1"] == [None, 5.0] and out.columns["near_dist"] == [1, 2]
    empty = run(near, features=layer([shapely.Point(0, 0)], crs=3857),
                near_features=layer([], crs=3857))
    assert empty.columns["near_fid"] == [None]


def test_near_reprojects_near_layer():
    """A near layer in Web Mercator is measured from lon/lat features on the ground."""
    out = run(near, features=layer([shapely.Point(0, 0)]),
              near_features=layer([shapely.Point(0, 1000)], crs=3857))
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(0, 1000)
    expected = Geod(ellps="WGS84").inv(0, 0, lon, lat)[2]
    assert out.columns["near_dist"][0] == pytest.approx(expected, abs=1e-6)


def test_near_negative_radius_refused():
    """A negative search radius is refused."""
    with pytest.raises(InvalidParameter, match="search_radius"):
        run(near, features=layer([shapely.Point(0, 0)]), near_features=layer([]),
            search_radius=-5)


def test_near_latitude_beyond_the_pole_refused():
    """A latitude over 90 degrees cannot be measured on the ground: refused, not a null distance."""
    with pytest.raises(InvalidParameter, match="latitude") as caught:
        run(near, features=layer([shapely.Point(10, 95)]), near_features=layer([shapely.Point(10, 50)]))
    assert caught.value.parameter == "features"
