"""Tests for honua.geo.reproject: CRS transformation of geometry arrays and collections."""

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from honua.errors import InvalidParameter
from honua.geo.crs import parse_crs
from honua.geo.features import FeatureCollection
from honua.geo.reproject import to_crs, transform, transform_bounds

WGS84 = parse_crs(4326)
UTM31 = parse_crs(32631)


def test_to_crs_matches_pyproj_directly():
    """Coordinates equal a direct pyproj transformation in x/y order."""
    fc = FeatureCollection.from_geometries(
        [shapely.Point(2.35, 48.85), shapely.LineString([(2, 48), (3, 49)])], crs=4326,
        name=["a", "b"])
    moved = to_crs(fc, "EPSG:32631")
    expected = Transformer.from_crs(4326, 32631, always_xy=True).transform(2.35, 48.85)
    assert moved.crs == UTM31
    np.testing.assert_allclose(moved.geometry[0].coords[0], expected, atol=1e-6)
    assert moved.columns["name"] == ["a", "b"]


def test_to_crs_same_crs_returns_the_collection():
    """Asking for the CRS a collection already has changes nothing."""
    fc = FeatureCollection.from_geometries([shapely.Point(1, 2)], crs=4326)
    assert to_crs(fc, 4326) is fc


def test_to_crs_keeps_missing_and_empty_geometries():
    """None stays None and an empty geometry stays empty."""
    fc = FeatureCollection.from_geometries([None, shapely.Polygon(), shapely.Point(3, 0)], crs=4326)
    moved = to_crs(fc, 32631)
    assert moved.geometry[0] is None
    assert moved.geometry[1].is_empty
    np.testing.assert_allclose(moved.geometry[2].coords[0], (500000, 0), atol=1e-3)


def test_to_crs_empty_collection():
    """An empty collection comes back empty, in the new CRS."""
    fc = FeatureCollection.from_geometries([], crs=4326)
    moved = to_crs(fc, 3857)
    assert len(moved) == 0 and moved.crs == parse_crs(3857)


def test_transform_round_trip_and_z_kept():
    """Going there and back returns the input; Z values pass through untouched."""
    geometry = np.array([shapely.LineString([(10, 50, 7), (11, 51, 8)]),
                         shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])], dtype=object)
    there = transform(geometry, WGS84, parse_crs(3035))
    back = transform(there, parse_crs(3035), WGS84)
    assert back[0].has_z and not back[1].has_z
    np.testing.assert_allclose(shapely.get_coordinates(back, include_z=True)[:2],
                               [(10, 50, 7), (11, 51, 8)], atol=1e-7)
    assert shapely.equals_exact(back[1], geometry[1], tolerance=1e-7)


def test_transform_outside_domain_raises():
    """A point the target projection cannot represent is refused, not turned into inf."""
    with pytest.raises(InvalidParameter, match="cannot be transformed"):
        transform(np.array([shapely.Point(0, 95)], dtype=object), WGS84, UTM31)


def test_transform_bounds_utm_square():
    """A lon/lat box maps to a projected box that contains every transformed corner."""
    box = transform_bounds((2.0, 48.0, 3.0, 49.0), WGS84, UTM31)
    assert box[0] < 428_000 < 500_000 < box[2] and 5_316_000 < box[1] < 5_317_000
