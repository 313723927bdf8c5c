"""Bad requests get an ExceptionReport (OWS 1.1 for 1.0.0, OWS 2.0 for 2.0) with the standard
code, the locator naming the offending parameter, the matching HTTP status, and store nothing."""

import pytest

from tests.adapters.wps.conftest import (
    NS,
    checked,
    complex_input,
    document,
    execute10,
    execute20,
    input20,
    job_count,
    literal,
    output10,
    point_geojson,
)

BUFFER_INPUTS = (complex_input("features", point_geojson()), literal("distance", 100, "metre"))


def _exception(root, version="1.0.0"):
    ows = "ows" if version == "1.0.0" else "ows2"
    exception = root.find(f"{ows}:Exception", NS)
    return (exception.get("exceptionCode"), exception.get("locator"),
            exception.findtext(f"{ows}:ExceptionText", namespaces=NS))


@pytest.mark.parametrize(("params", "status", "code", "locator", "fragment"), [
    ({"request": "GetCapabilities"}, 400, "MissingParameterValue", "service", "service=WPS"),
    ({"service": "WMS", "request": "GetCapabilities"}, 400, "InvalidParameterValue", "service", "WPS"),
    ({"service": "WPS"}, 400, "MissingParameterValue", "request", "GetCapabilities"),
    ({"service": "WPS", "request": "GetMap"}, 501, "OperationNotSupported", "GetMap", "not supported"),
    ({"service": "WPS", "request": "DescribeProcess", "identifier": "buffer"}, 400,
     "MissingParameterValue", "version", "version"),
    ({"service": "WPS", "request": "DescribeProcess", "version": "0.4.0", "identifier": "buffer"},
     400, "InvalidParameterValue", "version", "1.0.0"),
    ({"service": "WPS", "request": "DescribeProcess", "version": "1.0.0"}, 400,
     "MissingParameterValue", "identifier", "identifier"),
    ({"service": "WPS", "request": "DescribeProcess", "version": "1.0.0", "identifier": "nope"},
     400, "InvalidParameterValue", "Identifier", "no process 'nope'"),
    ({"service": "WPS", "request": "GetStatus", "version": "1.0.0", "jobid": "x"}, 501,
     "OperationNotSupported", "GetStatus", "version=2.0.0"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "distance=100"}, 400, "MissingParameterValue", "features", "needs input 'features'"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=far"}, 400,
     "InvalidParameterValue", "distance", "100 meters"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1@uom=furlong"}, 400,
     "InvalidParameterValue", "distance", "unknown unit of measure 'furlong'"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=NaN@uom=metre"}, 400,
     "InvalidParameterValue", "distance", "finite"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=NaN"}, 400,
     "InvalidParameterValue", "distance", "100 meters"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=image/png;distance=1"}, 400,
     "InvalidParameterValue", "features", "cannot be read"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1;colour=red"}, 400,
     "InvalidParameterValue", "colour", "has no input 'colour'"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1",
      "storeExecuteResponse": "maybe"}, 400, "InvalidParameterValue", "storeExecuteResponse",
     "true or false"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1", "status": "true"},
     400, "InvalidParameterValue", "status", "storeExecuteResponse=true"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1",
      "ResponseDocument": "polygons"}, 400, "InvalidParameterValue", "polygons", "no output 'polygons'"),
    ({"service": "WPS", "request": "Execute", "version": "1.0.0", "identifier": "buffer",
      "DataInputs": "features=POINT(0 0)@mimeType=application/wkt;distance=1",
      "ResponseDocument": "result@mimeType=image/png"}, 400, "InvalidParameterValue", "result",
     "not supported"),
])
def test_kvp_errors_are_ows11_reports(wps, params, status, code, locator, fragment):
    before = job_count(wps)
    response = wps.get("/wps", params=params)
    root = checked(response, status)
    assert root.tag == f"{{{NS['ows']}}}ExceptionReport"
    found_code, found_locator, text = _exception(root)
    assert (found_code, found_locator) == (code, locator)
    assert fragment in text and "Traceback" not in response.text
    assert job_count(wps) == before  # nothing stored


@pytest.mark.parametrize(("body", "status", "code", "locator", "fragment"), [
    (execute20("nope"), 400, "NoSuchProcess", "Identifier", "no process 'nope'"),
    (execute20("buffer", input20("features", point_geojson()), input20("distance", "1"),
               input20("colour", "red")), 400, "NoSuchInput", "colour", "has no input 'colour'"),
    (execute20("buffer", input20("features", point_geojson()), input20("distance", "1"),
               outputs='<wps:Output id="nope"/>'), 400, "NoSuchOutput", "nope", "no output 'nope'"),
    (execute20("buffer", input20("features", point_geojson()), input20("distance", "1"),
               outputs='<wps:Output id="result" mimeType="image/png"/>'), 400, "NoSuchFormat",
     "result", "not supported"),
    (execute20("buffer", input20("features", point_geojson()), input20("distance", "1"),
               mode="later"), 400, "NoSuchMode", "mode", "sync, async or auto"),
    (execute20("buffer", input20("features", point_geojson()), input20("distance", "1"),
               input20("distance", "2")), 400, "TooManyInputs", "distance", "several"),
    (execute20("buffer", input20("distance", "1")), 400, "MissingParameterValue", "features",
     "needs input 'features'"),
    ('<wps:GetStatus service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0">'
     "<wps:JobID>nope</wps:JobID></wps:GetStatus>", 400, "NoSuchJob", "JobID", "nope"),
    ('<wps:GetResult service="WPS" version="2.0.0" xmlns:wps="http://www.opengis.net/wps/2.0"/>',
     400, "MissingParameterValue", "JobID", "JobID"),
])
def test_xml20_errors_are_ows20_reports(wps, body, status, code, locator, fragment):
    before = job_count(wps)
    root = checked(wps.post("/wps", content=body), status)
    assert root.tag == f"{{{NS['ows2']}}}ExceptionReport"
    found_code, found_locator, text = _exception(root, "2.0.0")
    assert (found_code, found_locator) == (code, locator)
    assert fragment in text
    assert job_count(wps) == before


@pytest.mark.parametrize(("body", "code", "locator", "fragment"), [
    (b"not xml at all", "InvalidParameterValue", None, "not well-formed XML"),
    (b"", "InvalidParameterValue", None, "empty"),
    (b"<html><body>hello</body></html>", "OperationNotSupported", "html", "not a WPS"),
    (execute10("buffer", *BUFFER_INPUTS).replace('service="WPS"', 'service="WFS"').encode(),
     "InvalidParameterValue", "service", "WPS"),
    (execute10("buffer", literal("features", "POINT(0 0)"), literal("distance", 1)).encode(),
     "InvalidParameterValue", "features", "send it as wps:ComplexData"),
    (execute10("buffer", complex_input("features", "<gml:Point xmlns:gml='http://www.opengis.net/gml/3.2'>"
                                       "<gml:pos>a b</gml:pos></gml:Point>", "text/xml"),
               literal("distance", 1)).encode(), "InvalidParameterValue", "features", "numbers"),
    (execute10("buffer", *BUFFER_INPUTS, form=document(output10("result"), status="true")).encode(),
     "InvalidParameterValue", "status", "storeExecuteResponse=true"),
])
def test_xml10_errors_are_ows11_reports(wps, body, code, locator, fragment):
    response = wps.post("/wps", content=body)
    root = checked(response, 501 if code == "OperationNotSupported" else 400)
    found_code, found_locator, text = _exception(root)
    assert (found_code, found_locator) == (code, locator)
    assert fragment in text


def test_other_methods_are_refused_with_a_report(wps):
    response = wps.put("/wps", content=b"x")
    root = checked(response, 405)
    assert response.headers["allow"] == "GET, POST"
    assert _exception(root)[0] == "OperationNotSupported"


def test_body_over_the_limit_is_413(tmp_path):
    """A request larger than max_body_mb is refused before it is read (FileSizeExceeded)."""
    from starlette.testclient import TestClient

    from honua.app import create_app
    from tests.adapters.wps.conftest import wps_settings

    app = create_app(wps_settings(tmp_path / "data", max_body_mb=0.01), start_services=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = execute10("buffer", complex_input("features", point_geojson(name="x" * 20000)))
        root = checked(client.post("/wps", content=body), 413)
    assert _exception(root)[0] == "FileSizeExceeded"


def test_unknown_wps_path_is_an_ows_exception_report(wps):
    """A path under /wps that does not exist answers in WPS's own error format."""
    from tests.support.xsd import assert_xsd_valid

    response = wps.get("/wps/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/xml")
    root = assert_xsd_valid(response.content, "ows11")
    code, _, text = _exception(root)
    assert code == "InvalidParameterValue" and "/wps/no-such-thing" in text
