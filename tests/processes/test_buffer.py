"""The buffer process: distances on the ground, per-feature distances, dissolve, caps, sides."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_po import layer, postgis_fixture, run, typed_columns, wkt  # noqa: F401

from honua.errors import InvalidParameter
from honua.processes.buffer import buffer

WGS84 = Geod(ellps="WGS84")


def test_buffer_point_is_geodesic_circle_on_wgs84():
    """Every vertex of a point's buffer lies the distance away on the ellipsoid."""
    out = run(buffer, features=layer([shapely.Point(10, 60)]), distance={"value": 2, "unit": "km"})
    xy = shapely.get_coordinates(out.geometry[0])
    _, _, d = WGS84.inv(np.full(len(xy), 10.0), np.full(len(xy), 60.0), xy[:, 0], xy[:, 1])
    assert np.allclose(d, 2000.0, atol=1e-6)


def test_buffer_point_area_matches_postgis_geography(postgis):
    """The circle's geodesic area agrees with PostGIS's geography buffer within 0.5 %."""
    out = run(buffer, features=layer([shapely.Point(-75, 40)]), distance=5000)
    ours = abs(WGS84.geometry_area_perimeter(out.geometry[0])[0])
    (theirs,) = postgis("SELECT ST_Area(ST_Buffer(ST_GeogFromText(%s), 5000, 64))",
                        wkt(shapely.Point(-75, 40)))
    assert ours == pytest.approx(theirs, rel=5e-3)
    assert ours == pytest.approx(math.pi * 5000**2, rel=2e-3)


def test_buffer_projected_distance_converted_to_crs_unit():
    """On a CRS in US survey feet, 100 m is 328.0833 ft of radius."""
    out = run(buffer, features=layer([shapely.Point(1_000_000, 200_000)], crs=2263),
              distance="100 meters")
    minx, _, maxx, _ = out.geometry[0].bounds
    assert (maxx - minx) / 2 == pytest.approx(100 / 0.3048006096, rel=1e-9)


def test_buffer_distance_field_per_feature():
    """Each feature is buffered by its own field value, in the distance's unit."""
    points = [shapely.Point(0, 0), shapely.Point(1000, 0)]
    out = run(buffer, features=layer(points, crs=3857, r=[1, 2]),
              distance={"value": 0, "unit": "km"}, distance_field="r")
    widths = [(g.bounds[2] - g.bounds[0]) / 2 for g in out.geometry]
    assert widths == pytest.approx([1000, 2000])
    assert out.columns["r"] == [1, 2]


def test_buffer_distance_field_null_uses_distance_value():
    """A null field value falls back to the distance's value; without one, no buffer."""
    points = [shapely.Point(0, 0), shapely.Point(1000, 0)]
    with_default = run(buffer, features=layer(points, crs=3857, r=[10, None]), distance=5,
                       distance_field="r")
    assert (with_default.geometry[1].bounds[2] - 1000) == pytest.approx(5)
    without = run(buffer, features=layer(points, crs=3857, r=[10, None]), distance_field="r")
    assert without.geometry[1] is None and without.geometry[0].area > 0


def test_buffer_dissolve_all_is_one_feature_without_attributes():
    """The boolean dissolve keeps working: one feature, no columns."""
    points = [shapely.Point(0, 0), shapely.Point(1, 0)]
    out = run(buffer, features=layer(points, crs=3857, name=["a", "b"]), distance=1,
              dissolve=True)
    assert len(out) == 1 and out.columns == {}
    assert out.geometry[0].geom_type == "Polygon"


def test_buffer_dissolve_fields_one_feature_per_group():
    """Buffers of features sharing the field values merge; the fields are carried."""
    points = [shapely.Point(0, 0), shapely.Point(1, 0), shapely.Point(100, 0)]
    out = run(buffer, features=layer(points, crs=3857, kind=["x", "y", "x"], n=[1, 2, 3]),
              distance=1, dissolve_fields=["kind"])
    assert out.columns == {"kind": ["x", "y"]}
    assert out.geometry[0].geom_type == "MultiPolygon"
    assert out.geometry[1].geom_type == "Polygon"


def test_buffer_flat_and_square_caps_on_a_line():
    """Flat caps stop at the line's ends; square ones extend by the distance."""
    line = layer([shapely.LineString([(0, 0), (10, 0)])], crs=3857)
    flat = run(buffer, features=line, distance=1, cap_style="flat")
    square = run(buffer, features=line, distance=1, cap_style="square")
    assert flat.geometry[0].area == pytest.approx(20)
    assert square.geometry[0].area == pytest.approx(24)


def test_buffer_mitre_join_keeps_sharp_corners():
    """A mitred square ring buffer is a larger square."""
    square = layer([shapely.box(0, 0, 10, 10)], crs=3857)
    out = run(buffer, features=square, distance=1, join_style="mitre")
    assert out.geometry[0].area == pytest.approx(144)


def test_buffer_left_and_right_side_of_a_line():
    """One-sided buffers lie on the chosen side of the direction of travel."""
    line = layer([shapely.LineString([(0, 0), (10, 0)])], crs=3857)
    left = run(buffer, features=line, distance=2, side="left").geometry[0]
    right = run(buffer, features=line, distance=2, side="right").geometry[0]
    assert left.area == pytest.approx(20) and right.area == pytest.approx(20)
    assert left.bounds[1] == pytest.approx(0) and left.bounds[3] == pytest.approx(2)
    assert right.bounds[1] == pytest.approx(-2) and right.bounds[3] == pytest.approx(0)


def test_buffer_side_ignored_for_points_and_polygons():
    """Points and polygons are buffered on every side whatever the side."""
    shapes = layer([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)], crs=3857)
    out = run(buffer, features=shapes, distance=1, side="left")
    assert out.geometry[0].bounds == pytest.approx((-1, -1, 1, 1), abs=1e-9)
    assert out.geometry[1].contains(shapely.box(-0.5, -0.5, 1.5, 1.5))


def test_buffer_one_sided_line_on_wgs84_measured_on_ground():
    """A one-sided buffer of a line on the equator is the distance wide on the ground."""
    line = layer([shapely.LineString([(0, 0), (0.01, 0)])])
    out = run(buffer, features=line, distance=100, side="left").geometry[0]
    length = WGS84.line_length([0, 0.01], [0, 0])
    area = abs(WGS84.geometry_area_perimeter(out)[0])
    assert area == pytest.approx(100 * length, rel=2e-3)
    assert out.bounds[1] == pytest.approx(0, abs=1e-9)


def test_buffer_null_and_empty_geometries():
    """Null stays null; empty gives an empty polygon; attributes of every type are kept."""
    shapes = [shapely.Point(0, 0), None, shapely.Point(), shapely.Point(2, 2), shapely.Point(3, 3),
              shapely.Point(4, 4)]
    out = run(buffer, features=layer(shapes, **typed_columns(6)), distance=10)
    assert out.geometry[1] is None
    assert out.geometry[2].is_empty
    assert out.columns["meta"][0] == {"k": 1} and out.columns["flag"][1] is False


def test_buffer_empty_input():
    """No features in, no features out (and one empty polygon when dissolving)."""
    assert len(run(buffer, features=layer([]), distance=1)) == 0
    dissolved = run(buffer, features=layer([]), distance=1, dissolve=True)
    assert len(dissolved) == 1 and dissolved.geometry[0].is_empty


def test_buffer_invalid_polygon_repaired_by_default():
    """A bow-tie is repaired before buffering, or refused on request."""
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    out = run(buffer, features=layer([bowtie], crs=3857), distance=0.1)
    assert out.geometry[0].area > 4 * 0.5
    with pytest.raises(InvalidParameter, match="invalid geometry"):
        run(buffer, features=layer([bowtie], crs=3857), distance=0.1, invalid="refuse")


def test_buffer_needs_a_distance_or_field():
    """Without a distance or a distance field the request is refused."""
    with pytest.raises(InvalidParameter, match="distance") as caught:
        run(buffer, features=layer([shapely.Point(0, 0)]))
    assert caught.value.parameter == "distance"


def test_buffer_unknown_distance_field():
    """An unknown field is named in the error, with the fields that exist."""
    with pytest.raises(InvalidParameter, match="'width'.*name") as caught:
        run(buffer, features=layer([shapely.Point(0, 0)], name=["a"]), distance_field="width")
    assert caught.value.parameter == "distance_field"


def test_buffer_text_distance_field_refused():
    """A text field cannot hold distances."""
    with pytest.raises(InvalidParameter, match="is string"):
        run(buffer, features=layer([shapely.Point(0, 0)], name=["a"]), distance_field="name")


def test_buffer_unknown_dissolve_field():
    """An unknown dissolve field is refused."""
    with pytest.raises(InvalidParameter) as caught:
        run(buffer, features=layer([shapely.Point(0, 0)], name=["a"]), distance=1,
            dissolve_fields=["nope"])
    assert caught.value.parameter == "dissolve_fields"


def test_buffer_bad_cap_style_refused():
    """Cap styles are a closed list."""
    with pytest.raises(InvalidParameter, match="cap_style"):
        run(buffer, features=layer([shapely.Point(0, 0)]), distance=1, cap_style="butt")


def test_buffer_latitude_beyond_the_pole_refused():
    """Coordinates beyond 90 degrees of latitude on a geographic CRS are a clear 400, not a crash."""
    with pytest.raises(InvalidParameter, match="latitude") as caught:
        run(buffer, features=layer([shapely.Point(10, 95)]), distance=100)
    assert caught.value.parameter == "features"


def test_buffer_distance_longer_than_the_earth_is_refused():
    """1e308 m (or a unit mix-up) is a clear error, not a meaningless polygon."""
    points = layer([shapely.Point(500000, 0)], crs=32631, d=[1e12])
    with pytest.raises(InvalidParameter, match="longer than the earth"):
        run(buffer, features=points, distance={"value": 1e308, "unit": "meters"})
    with pytest.raises(InvalidParameter, match="distance_field"):
        run(buffer, features=points, distance_field="d")
