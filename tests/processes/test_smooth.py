"""Tests for the smooth process: bounded corner cutting on the ground."""

import numpy as np
import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.errors import InvalidParameter
from honua.processes.smooth import smooth


def test_smooth_one_pass_known_answer():
    """One pass cuts the corner at half the tolerance on each side."""
    layer = geojson([shapely.LineString([(0, 0), (100, 0), (100, 100)])], crs=3857)
    out = run(smooth, features=layer, tolerance=20, iterations=1)
    assert out.geometry[0].coords[:] == [(0, 0), (90, 0), (100, 10), (100, 100)]


def test_smooth_stays_within_tolerance_and_keeps_ends():
    """After several passes no point is farther than the tolerance; line ends are fixed."""
    line = shapely.LineString([(0, 0), (100, 0), (100, 100), (200, 100)])
    out = run(smooth, features=geojson([line], crs=3857), tolerance=30, iterations=5)
    result = out.geometry[0]
    assert shapely.hausdorff_distance(result, line) <= 30
    assert result.coords[0] == (0, 0) and result.coords[-1] == (200, 100)
    assert len(result.coords) > 30


def test_smooth_polygon_stays_valid_and_closed():
    """A smoothed square stays valid, losing a parabolic fillet at each corner."""
    out = run(smooth, features=geojson([shapely.box(0, 0, 100, 100)], crs=3857),
              tolerance=20, iterations=3)
    polygon = out.geometry[0]
    # each corner loses about a third of the 20 m x 20 m corner triangle (a parabolic fillet)
    assert polygon.is_valid and polygon.area == pytest.approx(10_000 - 4 * 200 / 3, abs=10)


def test_smooth_geographic_reach_is_in_metres():
    """At 60 N a 100 m tolerance starts the first-pass curve 50 m (on the ground) before the corner."""
    corner = shapely.LineString([(10, 60), (10.01, 60), (10.01, 60.01)])
    out = run(smooth, features=geojson([corner]), tolerance=100, iterations=1)
    x, y = out.geometry[0].coords[1]
    assert Geod(ellps="WGS84").inv(x, y, 10.01, 60)[2] == pytest.approx(50, abs=0.05)
    assert out.geometry[0].coords[0] == (10, 60)


def test_smooth_keeps_nulls_points_and_attributes():
    """Nulls, empties and points pass; attributes are unchanged."""
    out = run(smooth, features=mixed_layer(), tolerance=50)
    assert out.geometry[3] is None and out.geometry[4].is_empty
    assert out.geometry[0].equals(shapely.Point(10, 50))
    assert out.columns["when"] == ["2024-01-01T00:00:00Z", None, "2024-03-01T00:00:00Z",
                                   "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z"]


@pytest.mark.parametrize(("name", "value"), [("iterations", 0), ("iterations", 9), ("tolerance", -1)])
def test_smooth_rejects_bad_inputs(name, value):
    """Out-of-range iterations and negative tolerances are refused, naming the input."""
    inputs = {"features": geojson([shapely.Point(0, 0)]), "tolerance": 10, name: value}
    with pytest.raises(InvalidParameter) as info:
        run(smooth, **inputs)
    assert info.value.parameter == name


def test_smooth_empty_collection():
    """No features in, none out."""
    assert len(run(smooth, features=geojson([]), tolerance=5)) == 0
    assert np.asarray(run(smooth, features=geojson([None]), tolerance=5).geometry)[0] is None
