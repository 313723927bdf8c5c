"""Coordinate precision: 7 decimals in degrees, 3 in metres, or what a request asks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.features import FeatureCollection
from honua.geo.geojson import write_features
from honua.geo.precision import DEFAULT, Precision, parse_decimals, rounded

LON, LAT = 13.123456789123456, 52.987654321987654


def test_degrees_get_seven_decimals_and_print_short():
    collection = FeatureCollection.from_geometries([shapely.Point(LON, LAT)], crs="OGC:CRS84")
    text = write_features(collection, DEFAULT).decode()
    assert "[13.1234568,52.9876543]" in text


def test_metres_get_three_decimals():
    collection = FeatureCollection.from_geometries([shapely.Point(500000.123456789, 10.98765)],
                                                   crs="EPSG:32633")
    assert "[500000.123,10.988]" in write_features(collection, DEFAULT).decode()


def test_asked_decimals_win_and_fifteen_means_as_computed():
    collection = FeatureCollection.from_geometries([shapely.Point(LON, LAT)])
    assert "[13.12,52.99]" in write_features(collection, DEFAULT.asking(2)).decode()
    assert repr(LON) in write_features(collection, DEFAULT.asking(15)).decode()
    assert repr(LON) in write_features(collection).decode()  # no precision: untouched


def test_z_is_rounded_too_and_polygons_keep_their_shape():
    collection = FeatureCollection.from_geometries(
        [shapely.Point(LON, LAT, 12.3456789), shapely.Point(LON, LAT).buffer(0.01)])
    out = rounded(collection, Precision())
    assert shapely.get_coordinates(out.geometry[0], include_z=True).tolist() == [
        [13.1234568, 52.9876543, 12.3456789]]
    assert shapely.is_valid(out.geometry[1])
    assert abs(shapely.area(out.geometry[1]) - shapely.area(collection.geometry[1])) < 1e-9


def test_missing_and_empty_geometries_survive():
    geometry = np.array([None, shapely.Point(), shapely.Point(LON, LAT)], dtype=object)
    out = rounded(FeatureCollection(geometry), DEFAULT)
    assert out.geometry[0] is None and out.geometry[1].is_empty


@pytest.mark.parametrize("raw, expected", [(None, None), ("", None), ("0", 0), (" 7 ", 7),
                                           (15, 15)])
def test_parse_decimals(raw, expected):
    assert parse_decimals(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "16", "1e3", "NaN", "7.5", "x" * 10_000, True, 3.0, [7]])
def test_parse_decimals_refuses_nonsense(raw):
    with pytest.raises(InvalidParameter, match="integer from 0 to 15"):
        parse_decimals(raw)
