"""Tests for honua.geo.generalize: exactness of kept vertices, antimeridian, nulls."""

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.geo.generalize import densify, simplify, smooth

LOCAL_CRS = ('ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,'
             'LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]')

WGS84 = parse_crs(4326)


def test_simplify_keeps_shared_vertices_bit_for_bit():
    """Two polygons in different local zones still share their common vertices exactly."""
    left = shapely.Polygon([(9.2, 50), (10.5, 50), (10.5, 51), (9.2, 51), (9.2, 50)])
    right = shapely.Polygon([(10.5, 50), (13.9, 50), (13.9, 51), (10.5, 51), (10.5, 50)])
    out = simplify(np.array([left, right]), 10.0, WGS84)
    shared = {(10.5, 50.0), (10.5, 51.0)}
    assert shared <= set(out[0].exterior.coords) and shared <= set(out[1].exterior.coords)


def test_simplify_keeps_z_and_none():
    """Z values of kept vertices survive; None stays None."""
    line = shapely.LineString([(0, 0, 1), (0.5, 0.000001, 2), (1, 0, 3)])
    out = simplify(np.array([line, None]), 10.0, WGS84)
    assert out[0].coords[:] == [(0, 0, 1), (1, 0, 3)] and out[1] is None


def test_densify_geodesic_on_a_local_crs_is_a_clear_error():
    line = np.array([shapely.LineString([(0, 0), (0, 100)])])
    with pytest.raises(InvalidParameter, match="not tied to the Earth"):
        densify(line, 30.0, parse_crs(LOCAL_CRS))
    assert len(densify(line, 30.0, parse_crs(LOCAL_CRS), method="planar")[0].coords) == 5


def test_densify_across_the_antimeridian_stays_continuous():
    """A line stored as 179 -> 181 gets new longitudes between them, not near -180."""
    out = densify(np.array([shapely.LineString([(179, 0), (181, 0)])]), 50_000.0, WGS84)
    x = np.array(out[0].coords)[:, 0]
    assert np.all(np.diff(x) > 0) and x.max() == 181


def test_smooth_keeps_line_ends_exactly_on_geographic_data():
    """The ends of a smoothed lon/lat line are the original floats."""
    line = shapely.LineString([(10.123456789, 50.1), (10.2, 50.2), (10.3, 50.1)])
    out = smooth(np.array([line]), 500.0, WGS84)
    assert out[0].coords[0] == line.coords[0] and out[0].coords[-1] == line.coords[-1]


def test_generalize_empty_and_point_inputs():
    """Points and empty geometries pass through all three operations."""
    geometry = np.array([shapely.Point(1, 2), shapely.LineString(), None], dtype=object)
    for result in (simplify(geometry, 5.0, WGS84), densify(geometry, 5.0, WGS84),
                   smooth(geometry, 5.0, WGS84)):
        assert result[0].equals(shapely.Point(1, 2)) and result[1].is_empty and result[2] is None


def test_smooth_two_point_line_before_another_line_keeps_both_intact():
    """A two-point line (no corner) followed by a bent line: each stays its own path, with
    its ends where they were (the ordering keys of the two once collided)."""
    lines = np.array([shapely.LineString([(0, 0), (1000, 10)]),
                      shapely.LineString([(200, -500), (210, 300), (600, 500)])], dtype=object)
    out = smooth(lines, 20.0, parse_crs(3857), iterations=3)
    assert out[0].coords[:] == [(0.0, 0.0), (1000.0, 10.0)]
    assert out[1].coords[0] == (200.0, -500.0) and out[1].coords[-1] == (600.0, 500.0)
    assert len(out[1].coords) > 3 and out[1].hausdorff_distance(lines[1]) < 20.0
