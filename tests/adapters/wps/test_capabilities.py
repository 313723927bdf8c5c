"""GetCapabilities and DescribeProcess in WPS 1.0.0 and 2.0: schema-valid, every data type rendered."""

import pytest
from pyproj.database import get_units_map

from honua.adapters.wps import formats
from tests.adapters.wps.conftest import NS, kvp, post

V1, V2 = "1.0.0", "2.0.0"


def _input10(root, name):
    for element in root.iterfind("ProcessDescription/DataInputs/Input"):
        if element.findtext("ows:Identifier", namespaces=NS) == name:
            return element
    raise AssertionError(f"no input {name!r}")


def _output10(root, name):
    for element in root.iterfind("ProcessDescription/ProcessOutputs/Output"):
        if element.findtext("ows:Identifier", namespaces=NS) == name:
            return element
    raise AssertionError(f"no output {name!r}")


def _input20(root, name):
    for element in root.iterfind(".//wps2:Process/wps2:Input", NS):
        if element.findtext("ows2:Identifier", namespaces=NS) == name:
            return element
    raise AssertionError(f"no input {name!r}")


@pytest.fixture(scope="module")
def echo10(wps):
    return kvp(wps, request="DescribeProcess", version=V1, identifier="wps_echo")


@pytest.fixture(scope="module")
def echo20(wps):
    return kvp(wps, request="DescribeProcess", version=V2, identifier="wps_echo")


@pytest.mark.parametrize("version", [V1, V2])
def test_capabilities_list_every_process(wps, version):
    root = kvp(wps, request="GetCapabilities", version=version)
    assert root.get("version") == version
    ows = "ows" if version == V1 else "ows2"
    path = ("wps:ProcessOfferings/wps:Process/ows:Identifier" if version == V1
            else "wps2:Contents/wps2:ProcessSummary/ows2:Identifier")
    assert {"buffer", "wps_echo", "wps_slow"} <= {e.text for e in root.iterfind(path, NS)}
    operations = {o.get("name") for o in root.iterfind(f"{ows}:OperationsMetadata/{ows}:Operation", NS)}
    assert {"GetCapabilities", "DescribeProcess", "Execute"} <= operations
    assert ({"GetStatus", "GetResult", "Dismiss"} <= operations) == (version == V2)


def test_capabilities_accept_versions_negotiates(wps):
    assert kvp(wps, request="GetCapabilities", acceptversions="3.0.0,2.0.0").get("version") == V2
    assert kvp(wps, request="GetCapabilities", acceptversions="1.0.0").get("version") == V1
    assert kvp(wps, request="GetCapabilities").get("version") == V2  # the latest by default


def test_capabilities_no_common_version_fails_negotiation(wps):
    root = kvp(wps, 400, request="GetCapabilities", acceptversions="0.4.0,3.0.0")
    exception = root.find("ows:Exception", NS)
    assert exception.get("exceptionCode") == "VersionNegotiationFailed"
    assert "1.0.0" in exception.findtext("ows:ExceptionText", namespaces=NS)


def test_capabilities_by_post_xml(wps):
    body = ('<wps:GetCapabilities service="WPS" xmlns:wps="http://www.opengis.net/wps/1.0.0" '
            'xmlns:ows="http://www.opengis.net/ows/1.1"><wps:AcceptVersions>'
            "<ows:Version>1.0.0</ows:Version></wps:AcceptVersions></wps:GetCapabilities>")
    assert post(wps, body).get("version") == V1


@pytest.mark.parametrize("version", [V1, V2])
def test_describe_all_processes_validates(wps, version):
    root = kvp(wps, request="DescribeProcess", version=version, identifier="ALL")
    path = "ProcessDescription" if version == V1 else "wps2:ProcessOffering"
    assert len(root.findall(path, NS)) >= 4


def test_describe_several_identifiers_by_post(wps):
    body = ('<wps:DescribeProcess service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0" '
            'xmlns:ows="http://www.opengis.net/ows/2.0"><ows:Identifier>buffer</ows:Identifier>'
            "<ows:Identifier>wps_slow</ows:Identifier></wps:DescribeProcess>")
    root = post(wps, body)
    ids = [e.text for e in root.iterfind("wps2:ProcessOffering/wps2:Process/ows2:Identifier", NS)]
    assert ids == ["buffer", "wps_slow"]


@pytest.mark.parametrize(("name", "data_type"), [
    ("text", "string"), ("count", "integer"), ("ratio", "double"), ("flag", "boolean"),
    ("when", "dateTime"), ("distance", "double"), ("area", "double"), ("crs", "anyURI")])
def test_describe10_literal_data_types(echo10, name, data_type):
    data_type_element = _input10(echo10, name).find("LiteralData/ows:DataType", NS)
    assert data_type_element.text == data_type
    assert data_type_element.get(f"{{{NS['ows']}}}reference") == formats.XS + data_type


def test_describe10_allowed_values_defaults_and_occurrences(echo10):
    colour = _input10(echo10, "colour")
    assert [v.text for v in colour.iterfind("LiteralData/ows:AllowedValues/ows:Value", NS)] == [
        "red", "green"]
    assert colour.findtext("LiteralData/DefaultValue") == "red"
    assert colour.get("minOccurs") == "0" and colour.get("maxOccurs") == "1"
    assert _input10(echo10, "text").get("minOccurs") == "1"
    assert _input10(echo10, "count").findtext("LiteralData/DefaultValue") == "3"
    assert _input10(echo10, "count").find("LiteralData/ows:AnyValue", NS) is not None
    assert int(_input10(echo10, "tags").get("maxOccurs")) > 1000  # a list takes many values


def test_describe10_linear_unit_uoms(echo10):
    uoms = _input10(echo10, "distance").find("LiteralData/UOMs")
    default = uoms.find("Default/ows:UOM", NS)
    assert (default.text, default.get(f"{{{NS['ows']}}}reference")) == (
        "kilometre", "urn:ogc:def:uom:EPSG::9036")  # the default value's unit
    supported = {u.text for u in uoms.iterfind("Supported/ows:UOM", NS)}
    assert {"metre", "kilometre", "foot", "mile", "nautical_mile"} <= supported
    assert _input10(echo10, "distance").findtext("LiteralData/DefaultValue") == "5.0"
    areal = {u.text for u in _input10(echo10, "area").iterfind("LiteralData/UOMs/Supported/ows:UOM", NS)}
    assert {"square_metre", "hectare", "acre"} <= areal


def test_uom_references_are_the_epsg_units():
    """Each advertised EPSG unit code names a unit of the same length (pyproj's EPSG database)."""
    epsg = {u.code: u for u in get_units_map(auth_name="EPSG", category="linear").values()}
    from honua.geo.units import LINEAR_UNITS
    for canonical, (_, code) in formats.LINEAR_UOMS.items():
        if code:
            assert epsg[code].conv_factor == pytest.approx(LINEAR_UNITS[canonical], rel=1e-9)


def test_describe10_complex_formats(echo10):
    complex_data = _input10(echo10, "features").find("ComplexData")
    assert complex_data.get("maximumMegabytes") == "100"
    default = complex_data.find("Default/Format")
    assert (default.findtext("MimeType"), default.findtext("Encoding")) == ("application/geo+json", "UTF-8")
    supported = {(f.findtext("MimeType"), f.findtext("Schema"))
                 for f in complex_data.iterfind("Supported/Format")}
    assert ("application/gml+xml; version=3.2", "http://schemas.opengis.net/gml/3.2.1/gml.xsd") in supported
    assert ("text/xml; subtype=gml/2.1.2", "http://schemas.opengis.net/gml/2.1.2/feature.xsd") in supported
    assert ("application/wkt", None) in supported
    assert formats.ESRIJSON.schema not in {s for _, s in supported}  # Esri JSON is output only
    outputs = {f.findtext("Schema") for f in _output10(echo10, "features").iterfind(
        "ComplexOutput/Supported/Format")}
    assert formats.ESRIJSON.schema in outputs
    blob = _input10(echo10, "blob").find("ComplexData/Default/Format")
    assert (blob.findtext("MimeType"), blob.findtext("Encoding")) == ("application/octet-stream", "base64")


def test_describe10_bounding_box_crs(echo10):
    bbox = _input10(echo10, "extent").find("BoundingBoxData")
    assert bbox.findtext("Default/CRS") == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert "urn:ogc:def:crs:EPSG::4326" in [c.text for c in bbox.iterfind("Supported/CRS")]
    assert _output10(echo10, "extent").find("BoundingBoxOutput/Default/CRS") is not None


def test_describe10_store_and_status_supported(echo10):
    process = echo10.find("ProcessDescription")
    assert process.get("storeSupported") == "true" and process.get("statusSupported") == "true"


def test_describe20_literal_domains_per_uom(echo20):
    domains = _input20(echo20, "distance").findall("wps2:LiteralData/LiteralDataDomain", NS)
    assert len(domains) == len(formats.LINEAR_UOMS)
    default = [d for d in domains if d.get("default") == "true"]
    assert len(default) == 1 and default[0].findtext("ows2:UOM", namespaces=NS) == "kilometre"
    assert default[0].findtext("ows2:DefaultValue", namespaces=NS) == "5.0"


def test_describe20_formats_bbox_and_occurs(echo20):
    features = _input20(echo20, "features").findall("wps2:ComplexData/wps2:Format", NS)
    assert features[0].get("default") == "true" and features[0].get("mimeType") == "application/geo+json"
    crs = _input20(echo20, "extent").findall("wps2:BoundingBoxData/wps2:SupportedCRS", NS)
    assert crs[0].get("default") == "true"
    assert _input20(echo20, "tags").get("maxOccurs") == "unbounded"
    offering = echo20.find("wps2:ProcessOffering", NS)
    assert "dismiss" in offering.get("jobControlOptions").split()
