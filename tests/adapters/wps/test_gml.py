"""GML 3.2 and 2.1.2 simple features: axis order follows the CRS name, both ways, and through WPS."""

import numpy as np
import pytest
import shapely
from lxml import etree
from pyproj import CRS

from honua.adapters.wps import crsnames, gml, wkt
from honua.adapters.wps.safexml import parse_xml
from honua.errors import InvalidParameter
from honua.geo.crs import crs84
from honua.geo.features import FeatureCollection
from tests.adapters.wps.conftest import NS, complex_input, document, execute10, literal, output10, post

G32 = 'xmlns:gml="http://www.opengis.net/gml/3.2"'
G2 = 'xmlns:gml="http://www.opengis.net/gml"'


def _point(text: str):
    shape, crs = gml.read_geometry(parse_xml(text))
    return shapely.get_coordinates(shape)[0].tolist(), crs


@pytest.mark.parametrize(("srs", "pos", "epsg"), [
    ("urn:ogc:def:crs:EPSG::4326", "50 10", 4326),  # official order: lat lon
    ("http://www.opengis.net/def/crs/EPSG/0/4326", "50 10", 4326),
    ("urn:x-ogc:def:crs:EPSG:4326", "50 10", 4326),
    ("EPSG:4326", "10 50", 4326),  # legacy short name: lon lat
    ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "10 50", None),
    ("urn:ogc:def:crs:OGC:1.3:CRS84", "10 50", None),
])
def test_read_gml32_point_axis_order(srs, pos, epsg):
    coords, crs = _point(f'<gml:Point {G32} srsName="{srs}"><gml:pos>{pos}</gml:pos></gml:Point>')
    assert coords == [10.0, 50.0]  # the core holds x/y (lon/lat)
    assert crs.to_epsg() == epsg if epsg else crs.equals(crs84())


@pytest.mark.parametrize(("srs", "text"), [
    ("EPSG:4326", "10,50"), ("http://www.opengis.net/gml/srs/epsg.xml#4326", "10,50"),
    ("urn:ogc:def:crs:EPSG::4326", "50,10")])
def test_read_gml2_point_axis_order(srs, text):
    coords, _ = _point(f'<gml:Point {G2} srsName="{srs}"><gml:coordinates>{text}</gml:coordinates>'
                       "</gml:Point>")
    assert coords == [10.0, 50.0]


def test_read_north_first_projected_crs_swaps_only_with_urn():
    """EPSG:31468 (Gauss-Krüger) is northing/easting officially."""
    urn, _ = _point(f'<gml:Point {G32} srsName="urn:ogc:def:crs:EPSG::31468">'
                    "<gml:pos>5400000 4500000</gml:pos></gml:Point>")
    short, _ = _point(f'<gml:Point {G32} srsName="EPSG:31468"><gml:pos>4500000 5400000</gml:pos></gml:Point>')
    assert urn == short == [4500000.0, 5400000.0]


def test_read_gml2_custom_separators_and_polygon_hole():
    text = (f'<gml:Polygon {G2} srsName="EPSG:4326"><gml:outerBoundaryIs><gml:LinearRing>'
            '<gml:coordinates cs=" " ts=";">0 0;10 0;10 10;0 10;0 0</gml:coordinates>'
            "</gml:LinearRing></gml:outerBoundaryIs><gml:innerBoundaryIs><gml:LinearRing>"
            "<gml:coordinates>2,2 4,2 4,4 2,2</gml:coordinates></gml:LinearRing>"
            "</gml:innerBoundaryIs></gml:Polygon>")
    shape, _ = gml.read_geometry(parse_xml(text))
    assert shape.area == pytest.approx(100 - 2)


def test_read_multisurface_3d_and_feature_collection_attributes():
    text = (f'<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs/2.0" {G32} xmlns:a="urn:a">'
            '<wfs:member><a:road gml:id="r1"><a:name>Main</a:name><a:lanes>2</a:lanes>'
            '<a:shape><gml:MultiSurface gml:id="m" srsName="urn:ogc:def:crs:EPSG::4326" srsDimension="3">'
            '<gml:surfaceMember><gml:Polygon gml:id="p"><gml:exterior><gml:LinearRing>'
            "<gml:posList>0 0 5 0 1 5 1 1 5 0 0 5</gml:posList></gml:LinearRing></gml:exterior>"
            "</gml:Polygon></gml:surfaceMember></gml:MultiSurface></a:shape></a:road></wfs:member>"
            "</wfs:FeatureCollection>")
    collection = gml.read_features(parse_xml(text))
    assert len(collection) == 1 and collection.ids == ["r1"]
    assert collection.columns == {"name": ["Main"], "lanes": [2]}
    shape = collection.geometry[0]
    assert shape.geom_type == "MultiPolygon" and shapely.has_z(shape)
    assert shapely.get_coordinates(shape, include_z=True)[1].tolist() == [1.0, 0.0, 5.0]  # swapped


def test_write_gml32_epsg4326_is_urn_lat_lon():
    element = gml.write_geometry(shapely.Point(10, 50), CRS.from_epsg(4326), "3.2")
    assert element.get("srsName") == "urn:ogc:def:crs:EPSG::4326"
    assert element.findtext("gml:pos", namespaces=NS) == "50.0 10.0"


def test_write_gml32_crs84_is_lon_lat():
    element = gml.write_geometry(shapely.Point(10, 50), crs84(), "3.2")
    assert element.get("srsName") == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert element.findtext("gml:pos", namespaces=NS) == "10.0 50.0"


@pytest.mark.parametrize("crs", [crs84(), CRS.from_epsg(4326)])
def test_write_gml2_is_epsg4326_lon_lat(crs):
    element = gml.write_geometry(shapely.Point(10, 50), crs, "2")
    assert element.get("srsName") == "EPSG:4326"
    assert element.findtext("gml2:coordinates", namespaces=NS) == "10.0,50.0"


@pytest.mark.parametrize("version", ["3.2", "2"])
@pytest.mark.parametrize("epsg", [4326, 31468, 3857])
def test_feature_collection_round_trip(version, epsg):
    crs = CRS.from_epsg(epsg)
    shapes = [shapely.Point(1.5, 2.5), shapely.LineString([(0, 0), (1, 2)]),
              shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 0)], [[(1, 0.5), (3, 0.5), (3, 2.5), (1, 0.5)]]),
              shapely.MultiPoint([(0, 0), (1, 1)]), shapely.MultiLineString([[(0, 0), (1, 1)]]),
              shapely.MultiPolygon([shapely.box(0, 0, 1, 1)]), None]
    collection = FeatureCollection(np.array(shapes, dtype=object),
                                   {"name": ["a", "b", "c", None, "e", "f", "g"],
                                    "value": [1, 2.5, 3, 4, 5, 6, 7]}, crs)
    element = gml.write_features(collection, version)
    back = gml.read_features(etree.fromstring(etree.tostring(element)))
    assert back.crs.to_epsg() == epsg and len(back) == len(shapes)
    for expected, found in zip(shapes, back.geometry, strict=True):
        assert (expected is None and found is None) or shapely.equals_exact(expected, found)
    assert back.columns == dict(collection.columns)


def test_mixed_crs_in_one_document_is_refused():
    text = (f'<gml:MultiPoint {G32} srsName="EPSG:4326"><gml:pointMember>'
            '<gml:Point srsName="EPSG:3857"><gml:pos>0 0</gml:pos></gml:Point>'
            "</gml:pointMember></gml:MultiPoint>")
    with pytest.raises(InvalidParameter, match="several CRSs"):
        gml.read_geometry(parse_xml(text))


@pytest.mark.parametrize("text", [
    f'<gml:Point {G32}><gml:pos>1</gml:pos></gml:Point>',
    f'<gml:LineString {G32}><gml:posList>1 2 3</gml:posList></gml:LineString>',
    f'<gml:Polygon {G32}><gml:interior/></gml:Polygon>',
    f'<gml:Curve {G32}/>',
])
def test_bad_gml_is_invalid_parameter(text):
    with pytest.raises(InvalidParameter):
        gml.read_features(parse_xml(text))


def test_wkt_with_srid_prefix():
    shape, crs = wkt.read_geometry("SRID=3857;POINT(1 2)")
    assert crs.to_epsg() == 3857 and shape.equals(shapely.Point(1, 2))
    assert wkt.write_geometry(shapely.Point(0.1, 1 / 3)) == "POINT (0.1 0.3333333333333333)"


def test_crs_names_for_writing():
    assert crsnames.urn_name(CRS.from_epsg(3857)) == ("urn:ogc:def:crs:EPSG::3857", False)
    assert crsnames.short_name(crs84()) == "EPSG:4326"


# -- through WPS ----------------------------------------------------------------------------

def _buffer_gml(wps, content: str, mime: str, out_mime: str):
    form = document(output10("result", mimeType=out_mime))
    root = post(wps, execute10("buffer", complex_input("features", content, mime),
                               literal("distance", 100, "metre"), form=form))
    return root.find("wps:ProcessOutputs/wps:Output/wps:Data/wps:ComplexData/*", NS)


def test_wps_gml32_urn_input_comes_back_lat_lon(wps):
    point = (f'<gml:Point {G32} gml:id="p" srsName="urn:ogc:def:crs:EPSG::4326">'
             "<gml:pos>50 10</gml:pos></gml:Point>")
    collection = _buffer_gml(wps, point, "application/gml+xml; version=3.2",
                             "application/gml+xml; version=3.2")
    polygon = collection.find(".//gml:Polygon", NS)
    assert polygon.get("srsName") == "urn:ogc:def:crs:EPSG::4326"
    numbers = np.array(polygon.findtext(".//gml:posList", namespaces=NS).split(), dtype=float)
    lat, lon = numbers[0::2], numbers[1::2]
    assert np.allclose(lat, 50, atol=0.01) and np.allclose(lon, 10, atol=0.01)
    assert not np.allclose(lat, lon, atol=1)  # really lat first


def test_wps_gml2_input_and_output_are_lon_lat(wps):
    point = f'<gml:Point {G2} srsName="EPSG:4326"><gml:coordinates>10,50</gml:coordinates></gml:Point>'
    collection = _buffer_gml(wps, point, "text/xml; subtype=gml/2.1.2", "text/xml; subtype=gml/2.1.2")
    assert collection.find(".//gml2:Polygon", NS).get("srsName") == "EPSG:4326"
    first = collection.findtext(".//gml2:Polygon//gml2:coordinates", namespaces=NS).split()[0]
    lon, lat = map(float, first.split(","))
    assert abs(lon - 10) < 0.01 and abs(lat - 50) < 0.01
