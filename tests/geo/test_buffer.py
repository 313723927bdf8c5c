"""geo.buffer: ground distances, per-feature distances, sides, None and empty."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely
from pyproj import Geod

from honua.geo import buffer as geobuffer
from honua.geo.buffer import buffer
from honua.geo.crs import parse_crs

WGS84 = parse_crs(4326)
MERCATOR = parse_crs(3857)


def test_buffer_doctests():
    """The module's examples hold."""
    assert doctest.testmod(geobuffer).failed == 0


@pytest.mark.parametrize("crs", [WGS84, MERCATOR])
@pytest.mark.parametrize("side", ["full", "left", "right"])
def test_buffer_missing_and_empty_rows(crs, side):
    """None stays None, empties give empty polygons, NaN distances give None."""
    shapes = np.array([None, shapely.Point(), shapely.LineString(), shapely.Point(1, 1)])
    out = buffer(shapes, np.array([1.0, 1.0, 1.0, np.nan]), crs, side=side)
    assert out[0] is None and out[3] is None
    assert out[1].is_empty and out[2].is_empty


def test_buffer_per_feature_distance_array_on_wgs84():
    """Each point gets its own geodesic radius."""
    points = shapely.points([(0, 0), (0, 45)])
    out = buffer(points, np.array([1000.0, 3000.0]), WGS84)
    geod = Geod(ellps="WGS84")
    for shape, (x, y), radius in zip(out, [(0, 0), (0, 45)], [1000, 3000], strict=True):
        xy = shapely.get_coordinates(shape)
        _, _, d = geod.inv(np.full(len(xy), x), np.full(len(xy), y), xy[:, 0], xy[:, 1])
        assert np.allclose(d, radius)


def test_buffer_circle_across_antimeridian_stays_continuous():
    """A circle at 179.99 E runs past 180 rather than wrapping around the world."""
    out = buffer(np.array([shapely.Point(179.99, 0)]), 5000.0, WGS84)[0]
    assert out.bounds[2] > 180.0 and out.bounds[2] - out.bounds[0] < 0.1


def test_buffer_polar_line_buffered_in_polar_projection():
    """A line near the pole is buffered about the distance wide on the ground."""
    line = np.array([shapely.LineString([(0, 85), (90, 85)])])
    out = buffer(line, 1000.0, WGS84, cap_style="flat")[0]
    geod = Geod(ellps="WGS84")
    area = abs(geod.geometry_area_perimeter(out)[0])
    length = geod.geometry_length(shapely.segmentize(line[0], 0.01))
    # the buffered straight line is a chord in the polar projection: shorter than the parallel
    assert 2000 * length * 0.9 < area < 2000 * length * 1.01


def test_buffer_one_sided_non_positive_distance_is_empty():
    """A left/right buffer of zero or negative width is empty."""
    line = np.array([shapely.LineString([(0, 0), (10, 0)])] * 2)
    out = buffer(line, np.array([0.0, -1.0]), MERCATOR, side="left")
    assert all(g.is_empty for g in out)


def test_buffer_negative_distance_shrinks_polygon():
    """A negative distance erodes a polygon."""
    out = buffer(np.array([shapely.box(0, 0, 10, 10)]), -1.0, MERCATOR, join_style="mitre")[0]
    assert out.area == pytest.approx(64)


def test_buffer_unknown_side_refused():
    """Only full, left and right exist."""
    with pytest.raises(ValueError, match="side"):
        buffer(np.array([shapely.Point(0, 0)]), 1.0, MERCATOR, side="outside")


@pytest.mark.parametrize("centre, radius", [((0.0, 60.0), 3_500_000.0), ((0.0, 90.0), 100_000.0),
                                            ((20.0, -89.5), 100_000.0)])
def test_buffer_circle_enclosing_a_pole_refused(centre, radius):
    """A lon/lat ring cannot enclose a pole: refused naming the distance, not a wrong polygon."""
    from honua.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match="pole") as caught:
        buffer(np.array([shapely.Point(*centre)]), radius, WGS84)
    assert caught.value.parameter == "distance"
