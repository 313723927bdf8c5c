"""Tests for the densify process: geodesic and planar vertices, units, nulls."""

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from tests.processes._fixtures_geom import geojson, mixed_layer, run

from honua.errors import InvalidParameter
from honua.processes.densify import densify

GEOD = Geod(ellps="WGS84")


def test_densify_geodesic_matches_pyproj_npts():
    """New vertices of a 60 N line are pyproj's equally spaced geodesic points."""
    layer = geojson([shapely.LineString([(0, 60), (10, 60)])])
    out = run(densify, features=layer, max_segment_length={"value": 100, "unit": "km"})
    coords = np.array(out.geometry[0].coords)
    total = GEOD.inv(0, 60, 10, 60)[2]  # 558 km -> 6 pieces
    expected = GEOD.npts(0, 60, 10, 60, int(np.ceil(total / 100_000)) - 1)
    np.testing.assert_allclose(coords[1:-1], expected, atol=1e-9)
    assert coords[3, 1] > 60.09  # the geodesic bulges toward the pole


def test_densify_no_segment_longer_than_the_maximum():
    """Every geodesic segment of a densified polygon is at most the maximum length."""
    layer = geojson([shapely.box(-5, 40, 5, 45)])
    ring = np.array(run(densify, features=layer, max_segment_length=50_000).geometry[0].exterior.coords)
    lengths = GEOD.inv(ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1])[2]
    assert lengths.max() <= 50_000 + 1e-6 and lengths.max() > 45_000


def test_densify_planar_on_geographic_stays_on_the_parallel():
    """Planar densification puts new points on the straight lon/lat segment."""
    layer = geojson([shapely.LineString([(0, 60), (10, 60)])])
    out = run(densify, features=layer, max_segment_length=100_000, method="planar")
    coords = np.array(out.geometry[0].coords)
    assert len(coords) == 7 and np.allclose(coords[:, 1], 60)


def test_densify_projected_planar_units():
    """On a metric CRS a 1 km line with a 0.3 km maximum gets 4 equal segments."""
    layer = geojson([shapely.LineString([(0, 0), (1000, 0)])], crs=3857)
    out = run(densify, features=layer, max_segment_length="0.3 km", method="planar")
    assert [round(x) for x, _ in out.geometry[0].coords] == [0, 250, 500, 750, 1000]


def test_densify_projected_geodesic_keeps_original_vertices_exactly():
    """On UTM the geodesic route adds vertices but the originals are bit-for-bit unchanged."""
    line = shapely.LineString([(400_000.123, 5_500_000.456), (600_000.789, 5_600_000.0)])
    out = run(densify, features=geojson([line], crs=32631), max_segment_length=10_000)
    coords = out.geometry[0].coords
    assert coords[0] == line.coords[0] and coords[-1] == line.coords[-1]
    (lon1, lon2), (lat1, lat2) = Transformer.from_crs(32631, 4326, always_xy=True).transform(
        *np.array(line.coords).T)
    ground = GEOD.inv(lon1, lat1, lon2, lat2)[2]
    assert len(coords) == int(np.ceil(ground / 10_000)) + 1


def test_densify_keeps_z_nulls_and_points():
    """Z is interpolated; points, nulls and empty geometries pass through."""
    layer = geojson([shapely.LineString([(0, 0, 10), (0, 1, 20)])])
    z = np.array(run(densify, features=layer, max_segment_length=60_000).geometry[0].coords)[:, 2]
    np.testing.assert_allclose(z, [10, 15, 20])
    out = run(densify, features=mixed_layer(), max_segment_length=1000)
    assert out.geometry[3] is None and out.geometry[4].is_empty
    assert out.geometry[0].equals(shapely.Point(10, 50)) and out.columns["name"][2] == "a"


def test_densify_rejects_non_positive_length():
    """A zero maximum is refused, naming the input."""
    with pytest.raises(InvalidParameter) as info:
        run(densify, features=geojson([shapely.Point(0, 0)]), max_segment_length=0)
    assert info.value.parameter == "max_segment_length"
