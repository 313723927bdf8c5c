"""The shared Esri JSON codec: geometries, feature sets and spatial references <-> the core."""

import datetime as dt

import numpy as np
import pytest
import shapely

from honua.errors import InvalidParameter, NotSupported
from honua.geo.esrijson import featureset, spatialref
from honua.geo.esrijson import geometry as esrigeom
from honua.geo.features import FeatureCollection, Field


def _array(*geoms):
    out = np.empty(len(geoms), dtype=object)
    out[:] = list(geoms)
    return out


def _signed_area(ring):
    xy = np.asarray(ring)[:, :2]
    return 0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])


# -- spatial references ---------------------------------------------------------------------
@pytest.mark.parametrize(("given", "epsg"), [
    ({"wkid": 4326}, 4326), ({"wkid": 102100, "latestWkid": 3857}, 3857), ({"wkid": 102100}, 3857),
    ({"wkid": 900913}, 3857), ({"latestWkid": 2056}, 2056), ("3857", 3857), (32633, 32633),
    ('{"wkid": 4326}', 4326), ({"wkid": 4326.0}, 4326)])
def test_spatial_reference_read_by_wkid_latest_wkid_or_text(given, epsg):
    assert spatialref.read(given).to_epsg() == epsg


def test_spatial_reference_read_by_wkt_and_unknown_to_epsg_written_as_wkt():
    crs = spatialref.read({"wkt": spatialref.read(32633).to_wkt("WKT1_ESRI")})
    assert spatialref.write(crs) == {"wkid": 32633, "latestWkid": 32633}
    custom = spatialref.read({"wkt": crs.to_wkt().replace("UTM zone 33N", "Custom TM")
                              .replace("15", "16.5", 1)})
    assert "wkt" in spatialref.write(custom) or "wkid" in spatialref.write(custom)


def test_web_mercator_written_the_arcgis_way():
    assert spatialref.write(spatialref.read(3857)) == {"wkid": 102100, "latestWkid": 3857}


@pytest.mark.parametrize("bad", [999999, {"wkid": "abc"}, {"foo": 1}, "{not json", -5, True])
def test_invalid_spatial_reference_is_refused_with_a_hint(bad):
    with pytest.raises(InvalidParameter, match="WKID|wkid|spatial reference"):
        spatialref.read(bad)


# -- geometries -----------------------------------------------------------------------------
def test_polygons_written_with_clockwise_shells_and_counter_clockwise_holes():
    """ArcGIS's ring orientation, whatever orientation shapely had."""
    ccw_shell = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (2, 4), (4, 4)]])
    (written,) = esrigeom.write(_array(ccw_shell))
    shell, hole = written["rings"]
    assert _signed_area(shell) < 0 < _signed_area(hole)
    assert shell[0] == shell[-1] and hole[0] == hole[-1]


def test_multipolygon_rings_are_flat_and_read_back_by_containment():
    parts = shapely.MultiPolygon([shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4)),
                                  shapely.box(20, 20, 30, 30)])
    (written,) = esrigeom.write(_array(parts))
    assert len(written["rings"]) == 3
    assert esrigeom.read(written, "t").equals(parts)


def test_rings_in_geojson_orientation_still_read_as_shell_and_hole():
    rings = [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[2, 2], [2, 4], [4, 4], [2, 2]]]
    polygon = esrigeom.read({"rings": rings}, "t")
    assert polygon.area == pytest.approx(100 - 2)


def test_island_inside_a_hole_is_a_separate_part():
    rings = [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]],
             [[1, 1], [9, 1], [9, 9], [1, 9], [1, 1]],
             [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]]
    shape = esrigeom.read({"rings": rings}, "t")
    assert shape.geom_type == "MultiPolygon" and shape.area == pytest.approx(100 - 64 + 4)


@pytest.mark.parametrize("geometry", [
    shapely.Point(1, 2), shapely.MultiPoint([(0, 0), (1, 1)]), shapely.LineString([(0, 0), (1, 1)]),
    shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]]), shapely.box(0, 0, 1, 1)])
def test_each_geometry_type_round_trips(geometry):
    (written,) = esrigeom.write(_array(geometry))
    assert esrigeom.read(written, "t").equals(geometry)


def test_missing_and_empty_geometries():
    written = esrigeom.write(_array(shapely.Point(1, 2), None, shapely.Point()))
    assert written[1] is None and written[2] == {"x": None, "y": None}
    assert esrigeom.read(None, "t") is None
    assert esrigeom.read({"x": None}, "t").is_empty
    assert esrigeom.write(_array(None, None)) == [None, None]


def test_z_only_when_asked():
    points = _array(shapely.Point(1, 2, 3))
    assert esrigeom.write(points) == [{"x": 1.0, "y": 2.0}]
    assert esrigeom.write(points, return_z=True) == [{"x": 1.0, "y": 2.0, "z": 3.0}]
    line = esrigeom.write(_array(shapely.LineString([(0, 0, 1), (1, 1, 2)])), return_z=True)[0]
    assert line == {"hasZ": True, "paths": [[[0.0, 0.0, 1.0], [1.0, 1.0, 2.0]]]}


def test_mixed_families_cannot_share_a_feature_set():
    with pytest.raises(NotSupported, match="one geometry type"):
        esrigeom.write(_array(shapely.Point(0, 0), shapely.box(0, 0, 1, 1)))


@pytest.mark.parametrize(("geometry", "message"), [
    ({"foo": 1}, "not an Esri geometry"), ({"x": "a", "y": 1}, "numbers"),
    ({"rings": [[[0, 0], [1, 1]]]}, "at least 3"), ({"paths": [[[0, 0]]]}, "at least 2"),
    ("POINT (1 2)", "JSON object")])
def test_bad_geometries_are_refused_clearly(geometry, message):
    with pytest.raises(InvalidParameter, match=message):
        esrigeom.read(geometry, "feature 0")


def test_geometry_of_another_family_than_declared_is_refused():
    with pytest.raises(InvalidParameter, match="geometryType is esriGeometryPoint"):
        esrigeom.read({"rings": [[[0, 0], [0, 1], [1, 1], [0, 0]]]}, "t",
                      expected=esrigeom.POINT)


# -- feature sets ---------------------------------------------------------------------------
def test_minimal_feature_set_from_esri_docs_is_read_as_wgs84_points():
    collection = featureset.read({"features": [{"geometry": {"x": 0, "y": 0}}]}, "t")
    assert len(collection) == 1 and collection.crs.to_epsg() == 4326


def test_projected_coordinates_without_spatial_reference_ask_for_one():
    with pytest.raises(InvalidParameter, match="spatialReference"):
        featureset.read({"features": [{"geometry": {"x": 1.5e6, "y": 6.9e6}}]}, "t")


def test_feature_set_sr_taken_from_the_geometries_as_the_js_sdk_sends_it():
    document = {"features": [{"geometry": {"x": 1, "y": 2, "spatialReference": {"wkid": 3857}},
                              "symbol": None, "attributes": {"OBJECTID": 7}}]}
    collection = featureset.read(document, "t")
    assert collection.crs.to_epsg() == 3857 and list(collection.ids) == [7]


def test_fields_become_typed_columns_and_dates_datetimes():
    document = {"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
                "fields": [{"name": "OID", "type": "esriFieldTypeOID"},
                           {"name": "n", "type": "esriFieldTypeInteger"},
                           {"name": "d", "type": "esriFieldTypeDate"}],
                "features": [{"attributes": {"OID": 3, "n": 5, "d": 86400000, "extra": "x"},
                              "geometry": {"x": 1, "y": 2}}]}
    collection = featureset.read(document, "t")
    assert list(collection.columns) == ["n", "d", "extra"]
    assert collection.columns["d"][0] == dt.datetime(1970, 1, 2, tzinfo=dt.UTC)
    assert {f.name: f.type for f in collection.fields}["n"] == "integer"


def test_feature_set_written_with_object_ids_schema_and_epoch_dates():
    collection = FeatureCollection(
        _array(shapely.Point(1, 2), shapely.Point(3, 4)),
        {"name": ["a", None], "when": [dt.datetime(1970, 1, 2, tzinfo=dt.UTC), None],
         "ok": [True, False]}, 4326, fields=(Field("when", "datetime"),))
    written = featureset.write(collection, featureset.WriteOptions())
    assert written["geometryType"] == "esriGeometryPoint"
    assert [f["type"] for f in written["fields"]] == [
        "esriFieldTypeOID", "esriFieldTypeDate", "esriFieldTypeString",
        "esriFieldTypeSmallInteger"]
    first = written["features"][0]["attributes"]
    assert first == {"OBJECTID": 1, "when": 86400000, "name": "a", "ok": 1}
    assert written["exceededTransferLimit"] is False


def test_more_features_than_maximum_records_gives_empty_set_and_flag():
    collection = FeatureCollection.from_geometries([shapely.Point(i, 0) for i in range(3)], 4326)
    written = featureset.write(collection, featureset.WriteOptions(maximum_records=2))
    assert written["features"] == [] and written["exceededTransferLimit"] is True


def test_record_set_has_no_geometry():
    rows = featureset.read({"fields": [{"name": "a", "type": "esriFieldTypeString"}],
                            "features": [{"attributes": {"a": "x"}}]}, "t", tabular=True)
    written = featureset.write(rows, featureset.WriteOptions(), tabular=True)
    assert "geometryType" not in written and "geometry" not in written["features"][0]


def test_feature_collection_layer_is_unwrapped():
    layer = {"layerDefinition": {"geometryType": "esriGeometryPoint"},
             "featureSet": {"features": [{"geometry": {"x": 1, "y": 2}}],
                            "spatialReference": {"wkid": 4326}}}
    assert len(featureset.read(layer, "t")) == 1


@pytest.mark.parametrize(("document", "message"), [
    ("{bad", "not valid JSON"), ([1, 2], "feature set object"), ({"geometryType": "x"},
                                                                 "'features'"),
    ({"features": [{"geometry": {"x": 1, "y": 1}}], "geometryType": "esriGeometryCircle"},
     "unknown geometryType"),
    ({"features": "none"}, "array")])
def test_bad_feature_sets_are_refused_clearly(document, message):
    with pytest.raises(InvalidParameter, match=message):
        featureset.read(document, "input 'features'")
