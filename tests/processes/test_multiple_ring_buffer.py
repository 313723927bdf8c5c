"""The multiple_ring_buffer process: nested or disjoint rings at several distances."""

from __future__ import annotations

import math

import pytest
import shapely
from pyproj import Geod
from tests.processes._fixtures_po import layer, run

from honua.errors import InvalidParameter
from honua.processes.multiple_ring_buffer import multiple_ring_buffer

TWO = layer([shapely.Point(0, 0), shapely.Point(100, 0)], crs=3857, name=["a", "b"])


def test_multiple_ring_buffer_nested_by_distance_then_feature():
    """Outputs come by distance, then feature, with the distance field."""
    out = run(multiple_ring_buffer, features=TWO, distances=[20, 10])
    assert out.columns == {"name": ["a", "b", "a", "b"], "distance": [10.0, 10.0, 20.0, 20.0]}
    assert out.geometry[2].area == pytest.approx(math.pi * 400, rel=2e-3)


def test_multiple_ring_buffer_disjoint_rings():
    """Disjoint rings are annuli: the outer area minus the inner one."""
    out = run(multiple_ring_buffer, features=TWO, distances=[10, 20], disjoint=True)
    assert out.geometry[2].area == pytest.approx(math.pi * (400 - 100), rel=2e-3)
    assert out.geometry[2].intersection(out.geometry[0]).area == pytest.approx(0, abs=1e-6)


def test_multiple_ring_buffer_dissolve_one_feature_per_distance():
    """Dissolved rings merge all features at each distance, keeping only the distance."""
    out = run(multiple_ring_buffer, features=TWO, distances=[10, 60], dissolve=True,
              disjoint=True)
    assert out.columns == {"distance": [10.0, 60.0]}
    assert out.geometry[1].geom_type == "Polygon"


def test_multiple_ring_buffer_unit_and_geodesic_radius():
    """Distances in kilometres on WGS 84 are geodesic radii."""
    out = run(multiple_ring_buffer, features=layer([shapely.Point(10, 60)]), distances=[1, 2],
              distance_unit="kilometers")
    geod = Geod(ellps="WGS84")
    x, y = out.geometry[1].exterior.coords[5]
    assert geod.inv(10, 60, x, y)[2] == pytest.approx(2000, abs=1e-6)
    assert out.columns["distance"] == [1.0, 2.0]


def test_multiple_ring_buffer_distance_field_clash_and_nulls():
    """An input field named distance is kept; nulls give no rings."""
    out = run(multiple_ring_buffer, features=layer([shapely.Point(0, 0), None], crs=3857,
                                                   distance=[7, 8]), distances=[1])
    assert out.columns == {"distance": [7], "distance_1": [1.0]}


@pytest.mark.parametrize("distances", [[0, 1], [-1], [5, 5]])
def test_multiple_ring_buffer_bad_distances_refused(distances):
    """Distances must be positive and distinct."""
    with pytest.raises(InvalidParameter) as caught:
        run(multiple_ring_buffer, features=TWO, distances=distances)
    assert caught.value.parameter == "distances"


def test_multiple_ring_buffer_needs_distances():
    """The distances input is required."""
    with pytest.raises(InvalidParameter, match="distances"):
        run(multiple_ring_buffer, features=TWO)
