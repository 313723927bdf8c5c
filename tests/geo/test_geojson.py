"""GeoJSON in and out of the columnar collection."""

import numpy as np
import orjson
import pytest
import shapely

from honua.errors import InvalidParameter
from honua.geo.geojson import read_features, write_features


def test_read_features_collection_with_mixed_and_null_geometries():
    fc = read_features({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [1, 2]},
         "properties": {"name": "a", "n": 1}},
        {"type": "Feature", "geometry": None, "properties": {"name": "b"}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": None},
    ]})
    assert len(fc) == 3 and fc.ids == [7, None, None]
    assert fc.geometry[0].equals(shapely.Point(1, 2)) and fc.geometry[1] is None
    assert fc.columns == {"name": ["a", "b", None], "n": [1, None, None]}
    assert fc.crs.to_string() == "OGC:CRS84"


def test_read_features_bare_geometry_and_feature():
    assert len(read_features({"type": "Point", "coordinates": [0, 0]})) == 1
    assert len(read_features({"type": "Feature", "geometry": None, "properties": {}})) == 1


def test_read_features_empty_collection():
    fc = read_features({"type": "FeatureCollection", "features": []})
    assert len(fc) == 0 and fc.bounds is None


def test_read_features_legacy_crs_member():
    fc = read_features({"type": "FeatureCollection", "features": [],
                        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}})
    assert fc.crs.to_epsg() == 3857


@pytest.mark.parametrize(("document", "fragment"), [
    ({"type": "Banana"}, "expected a GeoJSON"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature",
      "geometry": {"type": "Point", "coordinates": "x"}}]}, "invalid GeoJSON geometry"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature",
      "geometry": {"type": "Circle"}}]}, "no valid GeoJSON geometry"),
    ({"type": "FeatureCollection"}, "'features' array"),
    (b"{not json", "not valid JSON"),
])
def test_read_features_errors_are_clear(document, fragment):
    with pytest.raises(InvalidParameter, match=fragment):
        read_features(document)


def test_write_features_round_trip_keeps_crs_ids_and_attributes():
    fc = read_features({"type": "FeatureCollection",
                        "crs": {"type": "name", "properties": {"name": "EPSG:32631"}},
                        "features": [{"type": "Feature", "id": "x",
                                      "geometry": {"type": "Point", "coordinates": [500000, 1]},
                                      "properties": {"v": 1.5}}]})
    document = orjson.loads(write_features(fc))
    assert document["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::32631"
    assert document["features"][0]["id"] == "x"
    assert document["features"][0]["properties"] == {"v": 1.5}
    assert read_features(document).crs.to_epsg() == 32631


def test_write_features_wgs84_lon_lat_has_no_crs_member():
    """EPSG:4326 data (e.g. read by GDAL from a GeoJSON file) is written as RFC 7946 lon/lat,
    never labelled urn:ogc:def:crs:EPSG::4326, whose axis order is lat/lon."""
    fc = read_features({"type": "FeatureCollection",
                        "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
                        "features": [{"type": "Feature", "properties": {},
                                      "geometry": {"type": "Point", "coordinates": [10, 50]}}]})
    document = orjson.loads(write_features(fc))
    assert "crs" not in document
    assert document["features"][0]["geometry"]["coordinates"] == [10, 50]


def test_read_features_empty_point_among_points():
    """An empty Point ("coordinates": []) is read as an empty geometry, not an error."""
    fc = read_features({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": []}, "properties": {}},
    ]})
    assert fc.geometry[0].equals(shapely.Point(1, 2)) and fc.geometry[1].is_empty


def test_write_features_empty_polygon_is_valid_geojson():
    """An empty polygon is written with empty coordinates (not one empty ring)."""
    fc = read_features({"type": "Point", "coordinates": [0, 0]}).with_geometry(
        np.array([shapely.Polygon()], dtype=object))
    geometry = orjson.loads(write_features(fc))["features"][0]["geometry"]
    assert geometry == {"type": "Polygon", "coordinates": []}
    assert read_features({"type": "Polygon", "coordinates": []}).geometry[0].is_empty
