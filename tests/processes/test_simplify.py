"""Tests for the simplify process: ground tolerances, topology, nulls, invalid input."""

import pytest
import shapely
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.errors import InvalidParameter
from honua.processes.simplify import simplify


def _zigzag(offset_x: float, lat: float = 60.0):
    """A north-south line whose middle vertex sits ``offset_x`` degrees east of it."""
    return shapely.LineString([(10, lat), (10 + offset_x, lat + 0.001), (10, lat + 0.002)])


def test_simplify_tolerance_is_on_the_ground_at_60_degrees():
    """1e-5 degrees of longitude at 60 N is 0.557 m: kept at 0.5 m, removed at 0.6 m."""
    layer = geojson([_zigzag(1e-5)])
    kept = run(simplify, features=layer, tolerance={"value": 0.5, "unit": "meters"})
    removed = run(simplify, features=layer, tolerance="0.6 m")
    assert len(kept.geometry[0].coords) == 3
    assert len(removed.geometry[0].coords) == 2


def test_simplify_units_are_converted():
    """A tolerance in kilometres and one in metres give the same answer."""
    layer = geojson([_zigzag(0.005)])  # about 278 m off the line
    in_km = run(simplify, features=layer, tolerance={"value": 0.3, "unit": "km"})
    in_m = run(simplify, features=layer, tolerance=300)
    assert len(in_km.geometry[0].coords) == len(in_m.geometry[0].coords) == 2


def test_simplify_projected_feet_crs():
    """On a CRS in US feet a 3 ft (0.914 m) deviation survives 0.8 m and goes at 1 m."""
    line = shapely.LineString([(1_000_000, 200_000), (1_000_050, 200_003), (1_000_100, 200_000)])
    layer = geojson([line], crs=2263)
    assert len(run(simplify, features=layer, tolerance=0.8).geometry[0].coords) == 3
    assert len(run(simplify, features=layer, tolerance=1.0).geometry[0].coords) == 2


def test_simplify_preserve_topology_keeps_small_polygons():
    """A polygon smaller than the tolerance survives only when topology is preserved."""
    small = shapely.Polygon([(0, 0), (10, 0), (10, 1), (5, 1.5), (0, 1), (0, 0)])
    layer = geojson([small], crs=3857)
    kept = run(simplify, features=layer, tolerance=50, preserve_topology=True).geometry[0]
    lost = run(simplify, features=layer, tolerance=50, preserve_topology=False).geometry[0]
    assert kept.is_valid and not kept.is_empty
    assert lost.is_empty


def test_simplify_keeps_nulls_points_and_attributes():
    """Null and empty geometries, points and every attribute type pass through."""
    out = run(simplify, features=mixed_layer(), tolerance=10)
    assert out.geometry[3] is None and out.geometry[4].is_empty
    assert out.geometry[0].equals(shapely.Point(10, 50))
    assert out.columns["meta"][0] == {"k": 1} and out.columns["flag"][1] is False


def test_simplify_empty_collection():
    """No features in, no features out."""
    assert len(run(simplify, features=geojson([]), tolerance=5)) == 0


def test_simplify_rejects_non_positive_tolerance():
    """Zero or negative tolerances are refused, naming the input."""
    with pytest.raises(InvalidParameter) as info:
        run(simplify, features=geojson([_zigzag(1)]), tolerance=0)
    assert info.value.parameter == "tolerance"


def test_simplify_invalid_refuse_and_repair():
    """A bow-tie is refused on request and repaired by default."""
    bowtie = shapely.Polygon([(0, 0), (20, 20), (20, 0), (0, 20), (0, 0)])
    layer = geojson([bowtie], crs=3857)
    with pytest.raises(InvalidParameter, match="Self-intersection"):
        run(simplify, features=layer, tolerance=1, invalid="refuse")
    repaired = run(simplify, features=layer, tolerance=1).geometry[0]
    assert repaired.is_valid and repaired.area == pytest.approx(200)
