"""Every core data type through WPS both ways (via the echo process), the KVP encoding of
inputs and outputs, and the Esri JSON output encoder."""

import base64
import json

import pytest
import shapely
from lxml import etree

from honua.adapters.wps import kvp
from honua.adapters.wps.errors import OwsException
from honua.adapters.wps.model import Data, Reference
from tests.adapters.wps.conftest import (
    NS,
    complex_input,
    document,
    execute10,
    literal,
    output10,
    post,
)
from tests.adapters.wps.conftest import kvp as kvp_request


def _outputs(root):
    return {o.findtext("ows:Identifier", namespaces=NS): o for o in
            root.iterfind("wps:ProcessOutputs/wps:Output", NS)}


def test_every_literal_type_round_trips(wps):
    root = post(wps, execute10(
        "wps_echo", literal("text", "héllo &amp; &lt;b&gt;"), literal("colour", "green"),
        literal("tags", "a"), literal("tags", "b"), literal("count", "42"), literal("ratio", "0.25"),
        literal("flag", "1"), literal("when", "2024-05-01T12:30:00Z"),
        literal("area", "2", "hectare"), literal("crs", "urn:ogc:def:crs:EPSG::3857")))
    values = {k: o.find("wps:Data/wps:LiteralData", NS) for k, o in _outputs(root).items()}
    assert values["text"].text == "héllo & <b>|green|a,b"
    assert (values["count"].text, values["count"].get("dataType")) == ("42", "integer")
    assert values["ratio"].text == "0.25" and values["flag"].text == "true"
    assert values["when"].text == "2024-05-01T12:30:00+00:00"
    assert (values["area"].text, values["area"].get("uom")) == ("2.0", "hectare")
    assert values["crs"].text == "EPSG:3857"


def test_bad_allowed_value_is_refused_with_its_locator(wps):
    root = post(wps, execute10("wps_echo", literal("text", "x"), literal("colour", "blue")), status=400)
    exception = root.find("ows:Exception", NS)
    assert exception.get("locator") == "colour" and "red" in exception.findtext("ows:ExceptionText",
                                                                              namespaces=NS)


def test_geometry_file_and_bbox_round_trip(wps):
    gml = ('<gml:LineString xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="l" '
           'srsName="urn:ogc:def:crs:EPSG::4326"><gml:posList>50 10 51 11</gml:posList></gml:LineString>')
    blob = base64.b64encode(b"\x00\x01binary\xff").decode()
    root = post(wps, execute10(
        "wps_echo", literal("text", "x"), complex_input("geometry", gml, "application/gml+xml; version=3.2"),
        '<wps:Input><ows:Identifier>blob</ows:Identifier><wps:Data><wps:ComplexData '
        f'mimeType="image/png" encoding="base64">{blob}</wps:ComplexData></wps:Data></wps:Input>',
        form=document(output10("geometry", mimeType="application/wkt"), output10("blob"))))
    outputs = _outputs(root)
    line = shapely.from_wkt(outputs["geometry"].findtext("wps:Data/wps:ComplexData", namespaces=NS))
    assert line.equals(shapely.LineString([(10, 50), (11, 51)]))  # x/y after the URN's lat/lon
    data = outputs["blob"].find("wps:Data/wps:ComplexData", NS)
    assert (data.get("mimeType"), data.get("encoding")) == ("image/png", "base64")
    assert base64.b64decode(data.text) == b"\x00\x01binary\xff"


def test_raw_file_output_is_the_bytes(wps):
    blob = base64.b64encode(b"\x89PNG...").decode()
    response = wps.get("/wps", params={
        "service": "WPS", "version": "1.0.0", "request": "Execute", "identifier": "wps_echo",
        "DataInputs": f"text=x;blob={blob}@mimeType=image/png@encoding=base64",
        "RawDataOutput": "blob"})
    assert response.content == b"\x89PNG..." and response.headers["content-type"] == "image/png"


@pytest.mark.parametrize(("value", "lower"), [
    ("10,50,11,51,EPSG:4326", "50.0 10.0"),  # short name: lon/lat in, URN lat/lon out
    ("50,10,51,11,urn:ogc:def:crs:EPSG::4326", "50.0 10.0"),
    ("10,50,11,51", "10.0 50.0"),  # CRS84 by default
])
def test_bbox_by_kvp_axis_order(wps, value, lower):
    root = kvp_request(wps, request="Execute", version="1.0.0", identifier="wps_echo",
                       DataInputs=f"text=x;extent={value}", ResponseDocument="extent")
    bbox = root.find("wps:ProcessOutputs/wps:Output/wps:Data/wps:BoundingBoxData", NS)
    assert bbox.findtext("ows:LowerCorner", namespaces=NS) == lower


def test_features_as_esri_json_output(wps):
    polygon = json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
        [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}, "properties": {"n": 1}})
    form = document(output10("features", mimeType="application/json",
                             schema="https://developers.arcgis.com/documentation/common-data-types/featureset-object.htm"))
    root = post(wps, execute10("wps_echo", literal("text", "x"), complex_input("features", polygon),
                               form=form))
    feature_set = json.loads(_outputs(root)["features"].findtext("wps:Data/wps:ComplexData", namespaces=NS))
    assert feature_set["geometryType"] == "esriGeometryPolygon"
    assert feature_set["spatialReference"] == {"wkid": 4326, "latestWkid": 4326}
    ring = feature_set["features"][0]["geometry"]["rings"][0]
    assert not shapely.LinearRing(ring).is_ccw  # Esri outer rings run clockwise
    assert feature_set["features"][0]["attributes"]["n"] == 1


def test_esri_json_output_writes_web_mercator_as_arcgis_does(wps):
    """The same Esri JSON as the GPServer face: {"wkid": 102100, "latestWkid": 3857}."""
    point = json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::3857"}}, "features": [{"type": "Feature", "geometry": {
            "type": "Point", "coordinates": [1113194.9, 0.0]}, "properties": {}}]})
    form = document(output10("features", mimeType="application/json",
                             schema="https://developers.arcgis.com/documentation/common-data-types/featureset-object.htm"))
    root = post(wps, execute10("wps_echo", literal("text", "x"), complex_input("features", point),
                               form=form))
    feature_set = json.loads(_outputs(root)["features"].findtext("wps:Data/wps:ComplexData", namespaces=NS))
    assert feature_set["spatialReference"] == {"wkid": 102100, "latestWkid": 3857}
    assert feature_set["features"][0]["geometry"]["x"] == pytest.approx(1113194.9)


def test_esri_json_output_of_mixed_geometry_types_is_refused_clearly(wps):
    mixed = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
         "properties": {}}]})
    form = document(output10("features", mimeType="application/json",
                             schema="https://developers.arcgis.com/documentation/common-data-types/featureset-object.htm"))
    root = post(wps, execute10("wps_echo", literal("text", "x"), complex_input("features", mixed),
                               form=form), status=None)
    text = etree.tostring(root).decode()
    assert "one geometry type" in text and "GeoJSON" in text


def test_kvp_data_inputs_escaping_and_attributes():
    operation = kvp.parse([
        ("SERVICE", "WPS"), ("Request", "execute"), ("version", "1.0.0"), ("identifier", "p"),
        ("DataInputs", "[a=x%3By%40z;b=@xlink:href=http://h/d%3Fq%3D1@method=POST@mimeType=text/xml;"
                       "c=5@uom=metre]"),
        ("ResponseDocument", "out@asReference=true@mimeType=application/wkt"),
        ("lineage", "true")])
    execute = operation.execute
    a, b, c = execute.inputs
    assert a.value == Data("any", text="x;y@z")
    assert b.value == Reference("http://h/d?q=1", method="POST", mime_type="text/xml")
    assert (c.value.text, c.value.uom) == ("5", "metre")
    assert execute.outputs[0].as_reference and execute.outputs[0].mime_type == "application/wkt"
    assert execute.lineage and not execute.store


def test_kvp_refuses_both_output_forms():
    with pytest.raises(OwsException, match="not both"):
        kvp.parse([("service", "WPS"), ("request", "Execute"), ("version", "1.0.0"),
                   ("identifier", "p"), ("ResponseDocument", "a"), ("RawDataOutput", "b")])


def test_wps20_execute_by_kvp_is_not_an_operation(wps):
    root = kvp_request(wps, 501, request="Execute", version="2.0.0", identifier="buffer")
    assert root.find("ows2:Exception", NS).get("exceptionCode") == "OperationNotSupported"


def test_inline_gml_feature_collection_from_another_server(wps):
    """A WFS 1.1 / GML 3.1 collection as GeoServer writes it is read."""
    wfs = ('<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" '
           'xmlns:gml="http://www.opengis.net/gml" xmlns:topp="http://www.openplans.org/topp">'
           '<gml:featureMembers><topp:states gml:id="states.1"><topp:the_geom>'
           '<gml:Point srsName="urn:x-ogc:def:crs:EPSG:4326"><gml:pos>50 10</gml:pos></gml:Point>'
           "</topp:the_geom><topp:NAME>Somewhere</topp:NAME></topp:states></gml:featureMembers>"
           "</wfs:FeatureCollection>")
    root = post(wps, execute10("wps_echo", literal("text", "x"), complex_input("features", wfs, "text/xml")))
    collection = json.loads(_outputs(root)["features"].findtext("wps:Data/wps:ComplexData", namespaces=NS))
    feature = collection["features"][0]
    assert feature["geometry"]["coordinates"] == [10.0, 50.0]
    assert feature["properties"] == {"NAME": "Somewhere"} and feature["id"] == "states.1"
    assert etree.QName(_outputs(root)["features"].find("wps:Data/wps:ComplexData", NS)).localname


def test_lineage_of_a_3d_bbox_declares_its_three_dimensions(wps):
    """The echoed corners carry three numbers each, so ``dimensions`` must say 3, not 2."""
    root = kvp_request(wps, request="Execute", version="1.0.0", identifier="wps_echo",
                       DataInputs="text=x;extent=10,50,0,11,51,100", ResponseDocument="extent",
                       lineage="true")
    echoed = root.find("wps:DataInputs/wps:Input/wps:Data/wps:BoundingBoxData", NS)
    assert echoed.findtext("ows:LowerCorner", namespaces=NS) == "10.0 50.0 0.0"
    assert echoed.get("dimensions") == "3"
